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

fail() {
  echo "console-check: FAILED: $*" >&2
  exit 1
}

write=false
case "${1:-}" in
  "") ;;
  --write) write=true ;;
  *) fail "unknown argument $1 (usage: scripts/console-check.sh [--write])" ;;
esac

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || fail "node and npm are required"
for pkg in "$api" "$console"; do
  if [[ ! -d "$pkg/node_modules" || "$pkg/package-lock.json" -nt "$pkg/node_modules" ]]; then
    echo "console-check: installing the pinned packages (npm ci in ${pkg#"$root"/})"
    npm ci --prefix "$pkg" --no-audit --no-fund >&2 || fail "npm ci in ${pkg#"$root"/} failed"
  fi
done

echo "== build @usergrpc/user-api (npm run build in clients/typescript)"
npm run --prefix "$api" build >/dev/null || fail "npm run build in clients/typescript failed"

echo "== type-check and bundle the page (npm run bundle in clients/console)"
npm run --prefix "$console" bundle || fail "npm run bundle in clients/console failed"
generated=$console/build/console.js
[[ -s "$generated" ]] || fail "npm run bundle wrote no $generated"

if $write; then
  cp "$generated" "$bundle"
  echo "console-check: wrote $bundle"
  exit 0
fi

echo "== committed $bundle is up to date"
if ! cmp -s "$bundle" "$generated"; then
  fail "$bundle is not what clients/console/src builds; run scripts/console-check.sh --write and commit the result"
fi
echo "ok"
echo
echo "console-check: all checks passed"
