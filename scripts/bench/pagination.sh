#!/usr/bin/env bash
# Pagination at depth: 1,000,000 users in PostgreSQL (database userbench_pages on 127.0.0.1:5432) and in H2
# (a file database under user-bench/target/pagination), a page of 20 at depth 0 and 999,980 by keyset/token
# and by OFFSET, at the store and through the service. Loading takes a minute or two the first time; the data
# is kept (--reload reloads). Writes the "pagination" section of BENCHMARKS.md.
# Options: --db postgres,h2 --users 1000000 --rounds 3 --reload
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
bench_java 1 pagination --command "scripts/bench/pagination.sh $*" "$@"
