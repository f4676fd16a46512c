#!/usr/bin/env bash
# Generates the OpenAPI 3 document of the HTTP/JSON API from user.proto (tools/openapi: a buf plugin on
# @bufbuild/protoplugin), validates it with @apidevtools/swagger-parser, and checks that the committed copy,
#   user-server/src/main/resources/io/github/usergrpc/user/server/openapi.json
# (a classpath resource of the server), is exactly what the contract generates. After a change to user.proto
# or to the generator, update the committed copy with: scripts/openapi-check.sh --write
# Run from anywhere in the repository; used by .ci/run. Fails when node or npm is missing: never skipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
tool=$root/tools/openapi
document=user-server/src/main/resources/io/github/usergrpc/user/server/openapi.json
contract=user-api/src/main/proto/user.proto

fail() {
  echo "openapi-check: FAILED: $*" >&2
  exit 1
}

write=false
case "${1:-}" in
  "") ;;
  --write) write=true ;;
  *) fail "unknown argument $1 (usage: scripts/openapi-check.sh [--write])" ;;
esac

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || fail "node and npm are required"
if [[ ! -d "$tool/node_modules" || "$tool/package-lock.json" -nt "$tool/node_modules" ]]; then
  echo "openapi-check: installing the pinned tools (npm ci in tools/openapi)"
  npm ci --prefix "$tool" --no-audit --no-fund >&2 || fail "npm ci in tools/openapi failed"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== generate (buf generate --template tools/openapi/openapi.gen.yaml)"
"$tool/node_modules/.bin/buf" generate --template tools/openapi/openapi.gen.yaml --output "$tmp"
generated=$tmp/$document
[[ -f "$generated" ]] || fail "buf generate wrote no $document"

echo "== validate (swagger-parser) and compare with the routes of $contract"
routes=$({ grep -oE '(^|[{ ])(get|put|post|delete|patch): "/' "$contract" || true; } | wc -l)
[[ "$routes" -gt 0 ]] || fail "found no google.api.http route in $contract"
node "$tool/validate.mjs" "$generated" "$routes"

if $write; then
  mkdir -p "$(dirname "$document")"
  cp "$generated" "$document"
  echo "openapi-check: wrote $document"
  exit 0
fi

echo "== committed $document is up to date"
if ! diff -u "$document" "$generated" >"$tmp/diff.txt"; then
  head -50 "$tmp/diff.txt" >&2
  fail "$document is not what $contract generates; run scripts/openapi-check.sh --write and commit the result"
fi
echo "ok"
echo
echo "openapi-check: all checks passed"
