#!/usr/bin/env bash
# Runs every benchmark in turn (about two hours on the 2-core machines), each replacing its own section of
# BENCHMARKS.md; load.sh also redraws docs/latency.png. Builds once. Options are not passed on: run the
# single scripts for that.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_tools
export BENCH_SKIP_BUILD=1
dir=scripts/bench
"$dir/serialization.sh"
"$dir/pagination.sh"
"$dir/watch.sh"
"$dir/client.sh"
"$dir/http.sh"
"$dir/load.sh"
"$dir/soak.sh"
"$dir/write.sh"
"$dir/scale-out.sh"
echo "bench: all done; see BENCHMARKS.md and docs/latency.png"
