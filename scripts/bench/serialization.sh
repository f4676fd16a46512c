#!/usr/bin/env bash
# Serialization (JMH): protobuf vs JSON (JsonFormat, Jackson) encode/decode of a UserResponse and a
# ListUsersResponse of 20 users, plus sizes and gzip'd sizes. Pinned to core 1. Writes the "serialization"
# section of BENCHMARKS.md. About 4 minutes. Options: --forks 3 --iterations 5 --warmup-iterations 3
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java 1 serialization --command "scripts/bench/serialization.sh $*" "$@"
