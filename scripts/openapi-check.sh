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

source "$root/scripts/lib/committed-copy.sh"
committed_copy_init openapi-check "$@"
npm_ci_if_stale "$tool" tools

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

write_or_compare "$document" "$generated" "$contract"
