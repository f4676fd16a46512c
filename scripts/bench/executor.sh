#!/usr/bin/env bash
# Issue 17: GetUser with h2load (-c 16 -m 8) and the Java closed-loop tool (128 calls in flight) against
# user-server.jar (memory store, memory store on NIO instead of epoll, PostgreSQL), the seed Node server, the
# constant-answer grpc-java server with the old default-executor setup and with directExecutor(), and
# pgbench -S; with --baseline-jar PATH also a user-server.jar of another build (before). Servers pinned to
# core 0, load generators to core 1. Writes the "executor" section of BENCHMARKS.md. ~25 min with the
# defaults and a baseline.
#
# A baseline jar of main, built apart from this worktree (package only; ~/.m2 is never written):
#   mkdir -p /tmp/base && git archive main | tar -x -C /tmp/base \
#     && (cd /tmp/base && ./mvnw -B -q -o -DskipTests package -pl user-server -am)
#   scripts/bench/executor.sh --baseline-jar /tmp/base/user-server/target/user-server.jar
#
# Each closed-loop run warms its server up for at least --warmup s and then until the server's JIT compilers used
# at most 1 % of the last 5 s (at most --warmup-max s): a fixed 20 s left them 10-20 % of the measured CPU.
# Options (passed on): --rounds 3 --duration 10 --warmup 20 --warmup-max 90 --connections 16 --streams 8 --targets a,b,...
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_tools
bench_java 1 load --section executor --streams 8 --command "scripts/bench/executor.sh $*" "$@"
