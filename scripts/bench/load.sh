#!/usr/bin/env bash
# End-to-end load: GetUser, ListUsers (page of 20) and CreateUser over loopback against user-server.jar
# (memory store, and PostgreSQL for GetUser), the seed tutorial's Node server and a bare grpc-java server,
# driven by h2load and by the Java load tool; pgbench -S on the same PostgreSQL. Servers run pinned to core
# 0, the load generators to core 1. Writes the "load" section of BENCHMARKS.md and docs/latency.png.
# Takes about 40 minutes with the defaults (a 20 s warm-up per run: 5 s left the servers partly interpreted).
#
# Closed-loop runs go on warming up after --warmup until the server's JIT is quiet (at most --warmup-max 90 s).
# Options (passed on): --rounds 3 --duration 10 --warmup 20 --warmup-max 90 --connections 16 --server-cpu 0 --client-cpu 1
#                      --no-postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_tools
bench_java 1 load --command "scripts/bench/load.sh $*" "$@"
