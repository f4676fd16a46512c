# Shared by the scripts in scripts/bench: builds user-bench (and the reactor modules it needs, -am, with
# `package`, so ~/.m2 is never touched) unless BENCH_SKIP_BUILD=1, installs what the benchmarks need from
# Debian and npm when it is missing, and runs a BenchMain command with the module's classpath.
# shellcheck shell=bash
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BENCH_ROOT
cd "$BENCH_ROOT"

bench_build() {
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    ./mvnw -B -q -DskipTests package -pl user-bench -am
  fi
  [[ -f user-bench/target/classpath.txt ]] || { echo "user-bench is not built" >&2; exit 1; }
}

# apt packages: h2load (nghttp2-client), curl, pgbench/psql (postgresql-client), taskset (util-linux).
bench_tools() {
  local missing=()
  command -v h2load >/dev/null || missing+=(nghttp2-client)
  command -v curl >/dev/null || missing+=(curl)
  command -v pgbench >/dev/null || missing+=(postgresql-client)
  command -v taskset >/dev/null || missing+=(util-linux)
  if ((${#missing[@]})); then
    echo "bench: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [[ ! -d bench/node-seed-server/node_modules ]]; then
    (cd bench/node-seed-server && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
  fi
}

# bench_java CPUS CLASS-OR-COMMAND ARGS...: runs BenchMain pinned to CPUS (a taskset list; "" = no pinning).
bench_java() {
  local cpus=$1
  shift
  local cp="user-bench/target/classes:$(cat user-bench/target/classpath.txt)"
  local pin=()
  [[ -n "$cpus" ]] && pin=(taskset -c "$cpus")
  echo "bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "${pin[@]}" java ${BENCH_JAVA_OPTS:-} -Dbench.root="$BENCH_ROOT" -cp "$cp" io.github.usergrpc.user.bench.BenchMain "$@"
  echo "bench: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
}
