#!/usr/bin/env bash
# Soak (issue 8): mixed traffic (GetUser, ListUsers, CreateUser, DeleteUser, UpdateUser, RecordActivity, and
# 50 watch streams, one reopened every second) at 400 calls/s through UserClient against user-server.jar
# (-Xmx256m, core 0) from the bench JVM (core 1) over loopback; samples the server's heap after GC, RSS, fds
# and threads every 10 s. Fails (exit 1) on any error, heap growth, or fds or threads that do not stay flat
# after the warm-up. Writes the "soak-h2" (or -sqlite, -postgres, -memory) section of BENCHMARKS.md. About 6 minutes
# (60 s warm-up + 300 s).
# Options: --duration 300 --warmup 60 --rate 400 --watchers 50 --reopen-every 1 --sample 10 --users 1000
#   --churn-users 500 --server-heap 256m --store h2:<a fresh file> (the default before SQLite; or sqlite:<file>, or
#   jdbc:postgresql://127.0.0.1:5432/db with --db-user postgres, or memory)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java 1 soak --command "scripts/bench/soak.sh $*" "$@"
