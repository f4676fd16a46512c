#!/usr/bin/env bash
# Writes on PostgreSQL (issue 16): RecordActivity and CreateUser over gRPC at 1 and 16 clients, closed loop,
# side by side with `pgbench -N` at 1 and 16 clients on the same PostgreSQL (127.0.0.1:5432, user postgres),
# in a database the run creates and drops. Each server run gets an empty schema of its own. Writes the
# "write" section of BENCHMARKS.md. About 20 minutes with a before jar, 10 without.
#
# Before/after: pass the server jar of another commit, e.g. built from main in a copy of the sources
# (git archive main | tar -x -C /tmp/main && (cd /tmp/main && ./mvnw -B -q -o -DskipTests package -pl user-server -am)):
#   scripts/bench/write.sh --before-jar /tmp/main/user-server/target/user-server.jar
# Each run warms up for at least --warmup s and then until the JITs of its server and of the bench JVM are quiet
# (at most --warmup-max s).
# Options: --rounds 3 --duration 10 --warmup 20 --warmup-max 90 --clients 16 --before-jar PATH
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_tools
bench_java "" write --command "scripts/bench/write.sh $*" "$@"
