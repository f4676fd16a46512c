#!/usr/bin/env bash
# Profiles user-server.jar under h2load with JFR: starts the server (--store memory unless STORE is set) pinned
# to core 0 with a JFR recording, creates a user, drives GetUser (or METHOD=ListUsers) with h2load from core 1
# for SECONDS (default 20), then prints the top frames (self, and total for our packages). The recording stays
# in user-bench/target/profile/server.jfr for `jfr` or JDK Mission Control.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_tools
out=user-bench/target/profile
mkdir -p "$out"
port=${PORT:-50071}
method=${METHOD:-GetUser}
store=${STORE:-memory}
taskset -c 0 java -XX:StartFlightRecording=filename=$out/server.jfr,settings=profile \
  -jar user-server/target/user-server.jar --port "$port" --store "$store" ${DB_USER:+--db-user $DB_USER} \
  >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening" "$out/server.log" && break; sleep 0.2; done
cp="user-bench/target/classes:$(cat user-bench/target/classpath.txt)"
# The request frame: GetUser of a fresh user, or the first ListUsers page of 20.
frame=$out/$method.grpc
java -cp "$cp" io.github.usergrpc.user.bench.BenchMain frame --port "$port" --method "$method" --out "$frame"
curl -sS --http2-prior-knowledge -D - -o /dev/null -H 'content-type: application/grpc' -H 'te: trailers' \
  --data-binary @"$frame" "http://127.0.0.1:$port/user.UserService/$method" | grep -i '^grpc-status: 0' \
  || { echo "profile: the frame is not answered with grpc-status 0" >&2; exit 1; }
taskset -c 1 h2load -D "${SECONDS_TO_RUN:-20}s" --warm-up-time=5s -c 16 -m 1 -t 1 -H 'content-type: application/grpc' \
  -H 'te: trailers' -d "$frame" "http://127.0.0.1:$port/user.UserService/$method" | grep -E "finished in|requests:"
kill "$server"; wait "$server" || true
trap - EXIT
java -cp "$cp" io.github.usergrpc.user.bench.BenchMain jfr-top --file "$out/server.jfr" --top "${TOP:-30}" \
  --filter io.github.usergrpc
