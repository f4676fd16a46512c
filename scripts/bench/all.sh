#!/usr/bin/env bash
# Runs every benchmark that writes a section of BENCHMARKS.md in turn (about three and a quarter hours on the
# 2-core machines), each replacing its own section; load.sh also redraws docs/latency.png. Builds once.
# Options are not passed on (so no --baseline-jar or --before-jar): run the single scripts for that.
# profile-server.sh is left out: it prints a profile and writes no section.
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
"$dir/embedded-store.sh"
"$dir/write.sh"
"$dir/executor.sh"
"$dir/interceptors.sh"
"$dir/interceptors.sh" --in-process
"$dir/scale-out.sh"
"$dir/idle-watch.sh"
echo "bench: all done; see BENCHMARKS.md and docs/latency.png"
