#!/usr/bin/env bash
# Idle watches on JetStream (issue 18): one user-server.jar on the embedded store with its activity on the
# machine's nats-server (127.0.0.1:4222, a stream of the run's own, deleted afterwards), 1,000 users each
# watched live and nothing else: the CPU of the server, of the NATS server and of the watchers while they wait.
# With --baseline-jar <another user-server.jar>, that build too, in every round. Writes the "idle-watch"
# section of BENCHMARKS.md. About 2 minutes per build and round.
# Options: --rounds 3 --watchers 1000 --settle 20 --seconds 60 --nats nats://127.0.0.1:4222 --baseline-jar <jar>
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java "" idle-watch --command "scripts/bench/idle-watch.sh $*" "$@"
