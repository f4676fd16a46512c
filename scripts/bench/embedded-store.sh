#!/usr/bin/env bash
# Embedded store: how big the files of H2 (as the store opens it, and with RETENTION_TIME=0) and SQLite grow
# under sustained writes (16 writer threads on the store, then 1) with the pruner on, against the data they
# hold; write throughput; and whether a SIGKILL loses an acknowledged create. Variants alternate over rounds.
# Writes the "embedded-store" section of BENCHMARKS.md. About 9 minutes with the defaults.
# Options: --duration 40 --writers 16 --rounds 2 --retention 10 (seconds of activity kept)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java "" embedded-store --command "scripts/bench/embedded-store.sh $*" "$@"
