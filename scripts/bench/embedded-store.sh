#!/usr/bin/env bash
# Embedded store: how big the H2 file grows under sustained writes (16 writer threads on the store) against
# the data it holds, for each way the store can open it; variants alternate over rounds. Writes the
# "embedded-store" section of BENCHMARKS.md. About 3 minutes.
# Options: --duration 40 --writers 16 --rounds 2
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java "" embedded-store --command "scripts/bench/embedded-store.sh $*" "$@"
