#!/usr/bin/env bash
# The HTTP port against slow and many clients (issue 15): user-server.jar (memory store, core 0) with
# --http-port; from the bench JVM (core 1) over loopback: a normal GET at 20/s while 2,000 connections
# trickle headers, then 10,000 SSE watches of one user and one update to all of them; the server's heap
# after GC (jcmd) and threads. Writes the "http" section of BENCHMARKS.md. About 2 minutes.
# Options: --trickling 2000 --trickle-seconds 40 --get-rate 20 --watchers 10000
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java 1 http --command "scripts/bench/http.sh $*" "$@"
