#!/usr/bin/env bash
# Scale-out (issue 18): three user-server.jar replicas on one PostgreSQL database (127.0.0.1:5432, user postgres;
# a database the run creates and drops), with their activity on NATS JetStream (the machine's nats-server at
# 127.0.0.1:4222, a stream of the run's own, deleted afterwards), on a three-node JetStream cluster of the same
# nats-server that the bench starts on free loopback ports each round (R3 stream) and, in the same round, in the
# database only: replicas waking each other with LISTEN/NOTIFY (the default) and polling only (--db-notify=false).
# Cross-replica mutation-to-event latency with 1,000 watchers, and RecordActivity at 16 clients. Writes the
# "scale-out" section of BENCHMARKS.md. About 40 minutes.
# Options: --rounds 3 --watchers 1000 --updates 1000 --rate 50 --clients 16 --duration 10 --warmup 20
#          --warmup-updates 3000 --warmup-rate 300 --warmup-max 120 (the warm-up goes on until the JITs are quiet)
#          --nats nats://127.0.0.1:4222 --modes JetStream,JetStream-R3,database,database-poll
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_tools
bench_java "" scale-out --command "scripts/bench/scale-out.sh $*" "$@"
