#!/usr/bin/env bash
# Profiles user-server.jar under h2load with JFR: starts the server (--store memory unless STORE is set) pinned
# to core 0, creates a user, warms the server with an unmeasured h2load run of GetUser (or METHOD=ListUsers)
# from core 1 (WARMUP seconds, default 10), then records with JFR (settings=profile, started with jcmd so that
# start-up and warm-up stay out) during a second run of SECONDS_TO_RUN seconds (default 20). h2load opens 16
# connections with STREAMS calls in flight on each (default 8, as scripts/bench/executor.sh). TOKENS=1 runs
# the server with --auth-tokens and sends a bearer token. SERVER_JAR picks another build's jar.
# The server runs with -XX:+DebugNonSafepoints: without it JFR charges a sample in inlined code to the nearest
# point the JIT kept debug information for, which put 9.5 % of the samples of a metrics-only LayerCost on
# Guava's Stopwatch.<init> and nearly doubled the metrics' share (22 % of the samples instead of 12.7 %).
# JFR samples Java code every SAMPLE_PERIOD (default 1ms; the "profile" settings' 10 ms left a few hundred
# samples of the event loop in a 15 s run on a loaded machine).
# Prints the top frames (self, and total for our packages), the share of each part of a call (interceptors,
# handler, metrics, transport) and the GC pauses. The recording stays in user-bench/target/profile/server.jfr
# for `jfr` or JDK Mission Control.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_tools
out=user-bench/target/profile
mkdir -p "$out"
rm -f "$out/server.jfr"
port=${PORT:-50071}
method=${METHOD:-GetUser}
store=${STORE:-memory}
streams=${STREAMS:-8}
jar=${SERVER_JAR:-user-server/target/user-server.jar}
auth=()
header=()
frame_token=()
if [[ "${TOKENS:-0}" == 1 ]]; then
  token=profile-token-$RANDOM$RANDOM
  hash=$(printf '%s' "$token" | java -jar "$jar" --hash-token)
  printf '%s profiler users:read,users:write\n' "$hash" >"$out/tokens.txt"
  auth=(--auth-tokens "$out/tokens.txt")
  header=(-H "authorization: Bearer $token")
  frame_token=(--token "$token")
fi
taskset -c 0 java -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -jar "$jar" --port "$port" --store "$store" ${DB_USER:+--db-user $DB_USER} "${auth[@]}" \
  >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening" "$out/server.log" && break; sleep 0.2; done
cp="user-bench/target/classes:$(cat user-bench/target/classpath.txt)"
# The request frame: GetUser of a fresh user, or the first ListUsers page of 20.
frame=$out/$method.grpc
java -cp "$cp" io.github.usergrpc.user.bench.BenchMain frame --port "$port" --method "$method" --out "$frame" \
  "${frame_token[@]}"
curl -sS --http2-prior-knowledge -D - -o /dev/null -H 'content-type: application/grpc' -H 'te: trailers' \
  "${header[@]}" --data-binary @"$frame" "http://127.0.0.1:$port/user.UserService/$method" | grep -i '^grpc-status: 0' \
  || { echo "profile: the frame is not answered with grpc-status 0" >&2; exit 1; }
h2() {
  taskset -c 1 h2load -D "$1s" -c 16 -m "$streams" -t 1 -H 'content-type: application/grpc' -H 'te: trailers' \
    "${header[@]}" -d "$frame" "http://127.0.0.1:$port/user.UserService/$method"
}
echo "profile: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
h2 "${WARMUP:-10}" >/dev/null
jcmd "$server" JFR.start name=profile settings=profile "jdk.ExecutionSample#period=${SAMPLE_PERIOD:-1ms}" >/dev/null
h2 "${SECONDS_TO_RUN:-20}" | grep -E "finished in|requests:"
jcmd "$server" JFR.stop name=profile filename="$PWD/$out/server.jfr" >/dev/null
echo "profile: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill "$server"; wait "$server" || true
trap - EXIT
java -cp "$cp" io.github.usergrpc.user.bench.BenchMain jfr-top --file "$out/server.jfr" --top "${TOP:-30}" \
  --filter io.github.usergrpc --parts
