#!/usr/bin/env bash
# Builds and checks the TypeScript package clients/typescript (@usergrpc/user-api), offline apart from npm ci:
#   1. npm ci (when node_modules is missing or older than package-lock.json), then npm run build: buf generate
#      with protoc-gen-es from user.proto, and tsc (type-checks the package and writes dist/);
#   2. type-level compatibility, the TypeScript counterpart of scripts/buf-check.sh: code written against the
#      declarations generated from an older user.proto must still compile against the current ones
#      (clients/typescript/scripts/type-compat.mjs says what that covers), against
#        a. the original seed user-api/src/test/seed/user.proto, and
#        b. the previous commit's user.proto, unless there is none;
#   3. a self-test: a contract with renamed fields must fail check 2, so that a check that silently compares
#      nothing cannot pass.
# The Node test of the typed client against the Java server is TypeScriptClientInteropTest (./mvnw verify); the
# npm package itself is checked by scripts/check-npm-package.sh. Run from anywhere in the repository; used by
# .ci/run. Fails when node or npm is missing: it is never skipped.
#
# Environment:
#   BUF_AGAINST_GIT_REF  the commit check 2b compares with (as in scripts/buf-check.sh). Default: HEAD~1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
pkg=$root/clients/typescript
contract=user-api/src/main/proto/user.proto
seed=user-api/src/test/seed/user.proto
against_ref=${BUF_AGAINST_GIT_REF:-HEAD~1}

fail() {
  echo "typescript-check: FAILED: $*" >&2
  exit 1
}
step() {
  echo
  echo "== $*"
}

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || fail "node and npm are required"
echo "typescript-check: node $(node --version), npm $(npm --version)"

# --- 1. install and build -------------------------------------------------------------------------------------
cd "$pkg"
step "npm ci and npm run build in clients/typescript"
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund
fi
npm run build
echo "ok"

compat=$pkg/build/compat
rm -rf "$compat"
mkdir -p "$compat"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Generates the TypeScript of one user.proto as the build does (same buf.gen.yaml), into $compat/<name>/src/gen.
generate() { # name, user.proto file
  local name=$1 proto=$2 ws=$tmp/$1
  mkdir -p "$ws"
  cp -R "$root/third_party/proto/." "$ws/"
  cp "$proto" "$ws/user.proto"
  echo "version: v2" >"$ws/buf.yaml"
  npx --no-install buf generate "$ws" --template buf.gen.yaml --output "$compat/$name" \
    --path "$ws/user.proto" --path "$ws/google/api"
}

# Writes the check of old against new and compiles it; returns tsc's exit code, its output in $compat/<name>.log.
compatible() { # name, old user_pb.ts, new user_pb.ts
  local name=$1
  node scripts/type-compat.mjs "$2" "$3" "$compat/$name.ts"
  cat >"$compat/tsconfig.$name.json" <<EOF
{ "extends": "../../tsconfig.json", "compilerOptions": { "noEmit": true, "rootDir": "../.." }, "include": ["$name.ts"] }
EOF
  local rc=0
  npx --no-install tsc -p "$compat/tsconfig.$name.json" >"$compat/$name.log" 2>&1 || rc=$?
  return $rc
}

expect_compatible() { # name, old user_pb.ts, description
  if ! compatible "$1" "$2" "$pkg/src/gen/user_pb.ts"; then
    cat "$compat/$1.log" >&2
    fail "$3: code written against it no longer compiles against the current declarations"
  fi
  echo "ok"
}

# --- 2. type-level compatibility ------------------------------------------------------------------------------
step "TypeScript types: $contract against the original $seed"
generate seed "$root/$seed"
expect_compatible seed "$compat/seed/src/gen/user_pb.ts" "the seed contract"

step "TypeScript types: $contract against $against_ref"
if ! git rev-parse --verify --quiet "$against_ref^{commit}" >/dev/null; then
  if [[ "$(git rev-parse --is-shallow-repository 2>/dev/null)" == true ]]; then
    fail "$against_ref is not in this shallow clone; fetch the history (actions/checkout: fetch-depth: 0)"
  fi
  echo "SKIPPED: there is no commit $against_ref to compare with (first commit)"
else
  git show "$against_ref:$contract" >"$tmp/previous.proto"
  generate previous "$tmp/previous.proto"
  expect_compatible previous "$compat/previous/src/gen/user_pb.ts" "the contract of $against_ref"
fi

# --- 3. self-test: a real break must be caught ---------------------------------------------------------------
step "self-test: renaming UserResponse.email (read by callers) and CreateUserRequest.name (set by callers) must fail"
sed -e '/^message UserResponse {/,/^}/ s/string email = 2;/string email_address = 2;/' \
  -e '/^message CreateUserRequest {/,/^}/ s/string name = 2 \[/string display_name = 2 [/' \
  "$root/$contract" >"$tmp/renamed.proto"
grep -q 'string email_address = 2;' "$tmp/renamed.proto" && grep -q 'string display_name = 2 \[' "$tmp/renamed.proto" ||
  fail "self-test: the sed did not change $contract (were the fields moved or reformatted?)"
generate renamed "$tmp/renamed.proto"
if compatible renamed "$pkg/src/gen/user_pb.ts" "$compat/renamed/src/gen/user_pb.ts"; then
  fail "self-test: the renamed fields compiled; the check compares nothing"
fi
grep -q '"email"' "$compat/renamed.log" && grep -q '"name"' "$compat/renamed.log" || {
  cat "$compat/renamed.log" >&2
  fail "self-test: tsc failed, but did not name both renamed fields"
}
echo "ok, the renamed fields fail as they must:"
sed 's/^/    /' "$compat/renamed.log"

echo
echo "typescript-check: all checks passed"
