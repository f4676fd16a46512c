#!/usr/bin/env bash
# Client: UserClient.getUser facade vs the raw async stub against the same user-server.jar (core 0) under the
# same closed-loop load (bench JVM on core 1); and fake start plus first call, cold and warm. Writes the
# "client" section of BENCHMARKS.md. About 3 minutes.
# Options: --rounds 3 --connections 4 --concurrency 16 --warmup 5 --duration 10 --iterations 100
#          --attribution (also runs the stub with a per-call deadline and the facade without request validation,
#          and prints the client CPU per call of each, to tell where the facade's overhead goes; ~4 more minutes)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java 1 client --command "scripts/bench/client.sh $*" "$@"
