#!/usr/bin/env bash
# Watch at scale: 10,000 watch streams against user-server.jar (memory store, core 0) from the bench JVM
# (core 1) over loopback Netty; the server's heap after GC (jcmd), and mutation-to-event latency with 1,000
# watchers and with a 1,000-watcher fan-out. Writes the "watch" section of BENCHMARKS.md. About 3 minutes.
# Options: --rounds 3 --watchers 10000 --latency-watchers 1000 --channels 20 --updates 2000 --rate 200
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java 1 watch --command "scripts/bench/watch.sh $*" "$@"
