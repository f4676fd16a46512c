#!/usr/bin/env bash
# Issue 17: what each layer of a GetUser call costs. h2load (-c 16 -m 8, core 1) against the constant-answer
# server on user-server's transport with no layer, with each layer alone (store, parsing, error details,
# validation, watch headers, call log, default deadline, metrics), with all of them, and against
# user-server.jar --store memory (and, with --baseline-jar PATH, another build's jar), each pinned to core 0.
# Reports calls/s and the server's CPU µs per call; writes the "interceptors" section of BENCHMARKS.md.
# ~20 min with the defaults (11 variants x 3 rounds x 30 s, plus start-up).
#
# With --in-process, each variant runs instead as LayerCost: one JVM on core 0 calling itself over gRPC's
# in-process transport (direct executors, one thread), reporting that thread's CPU per call: no sockets, so a
# machine busy with other work disturbs it far less; the real server is then UserServer as built for
# --store memory. Writes the "interceptors-in-process" section. Use --warmup 15 or more on a busy machine:
# the JIT gets little CPU there, and a shorter warm-up measures the interpreter.
# With --baseline-jar PATH (another build's user-server.jar) also the changed layers, all layers and the server
# itself on that build's classes (before).
#
# Over TCP it also runs what our server pays beyond its layers (issue 17, third part): `ceiling` (BareServer
# direct, the ceiling of executor.sh), `+services` (health, reflection, grpc-netty's log filter), `server`
# (UserServer as UserServerMain.newServer builds it) and `server-metrics`, `server-deadline`,
# `server-metrics-deadline` (the same less metrics and/or the default deadline), and reports each server's CPU per call by thread group (event loop, JIT, GC and VM thread, other).
# `--variants a,b,...` runs only those; e.g. the question "why does our server cost more than the ceiling":
#   scripts/bench/interceptors.sh --rounds 5 --warmup 20 --duration 10 --variants \
#     ceiling,bare,+metrics,+services,server,server-metrics,server-deadline,server-metrics-deadline,user-server
#
# Over TCP each run warms its server up for at least --warmup s and then until its JIT is quiet (as executor.sh).
# Options (passed on): --rounds 3 --duration 10 --warmup 20 --warmup-max 90 --streams 8 --baseline-jar PATH --variants a,b,...
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_tools
bench_java 1 interceptors --command "scripts/bench/interceptors.sh $*" "$@"
