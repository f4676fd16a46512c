#!/usr/bin/env bash
# Bundles the console page (clients/console: TypeScript on the @usergrpc/user-api package built in
# clients/typescript, bundled by the pinned esbuild) and checks that the committed bundle,
#   user-server/src/main/resources/io/github/usergrpc/user/server/console/console.js
# (a classpath resource of the server, served at /console/), is exactly what the sources build, so that a clone
# with only a JDK serves the current page. After a change to clients/console/src, to user.proto's messages or
# to the pinned packages, update the committed copy with: scripts/console-check.sh --write
# The page's end-to-end test in Chromium is ConsoleBrowserTest (./mvnw verify). Run from anywhere in the
# repository; used by .ci/run. Fails when node or npm is missing: never skipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
api=$root/clients/typescript
console=$root/clients/console
bundle=user-server/src/main/resources/io/github/usergrpc/user/server/console/console.js

source "$root/scripts/lib/committed-copy.sh"
committed_copy_init console-check "$@"
npm_ci_if_stale "$api" packages
npm_ci_if_stale "$console" packages

echo "== build @usergrpc/user-api (npm run build in clients/typescript)"
npm run --prefix "$api" build >/dev/null || fail "npm run build in clients/typescript failed"

echo "== type-check and bundle the page (npm run bundle in clients/console)"
npm run --prefix "$console" bundle || fail "npm run bundle in clients/console failed"
generated=$console/build/console.js
[[ -s "$generated" ]] || fail "npm run bundle wrote no $generated"

write_or_compare "$bundle" "$generated" clients/console/src
