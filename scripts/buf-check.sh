#!/usr/bin/env bash
# Checks the UserService contract with buf, offline (no Buf Schema Registry):
#   1. buf format and buf lint (rules and their few exceptions: buf.yaml);
#   2. wire + JSON compatibility with the original contract, user-api/src/test/seed/user.proto (WIRE_JSON);
#   3. no breaking change against the previous commit (FILE rules of buf.yaml), unless there is none;
#   4. a self-test: a contract with one renumbered field must fail check 2 and the FILE check, so that a
#      check that silently compares nothing cannot pass.
# Run from anywhere inside the repository; used by .ci/run. Fails when buf is missing: it is never skipped.
#
# Environment:
#   BUF                  buf binary to use. Default: the version pinned in tools/buf/package-lock.json,
#                        installed with `npm ci` into tools/buf/node_modules when missing.
#   BUF_AGAINST_GIT_REF  the commit check 3 compares with. Default: HEAD~1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
contract=user-api/src/main/proto/user.proto
seed=user-api/src/test/seed/user.proto
against_ref=${BUF_AGAINST_GIT_REF:-HEAD~1}
wire_json_config='{"version":"v2","breaking":{"use":["WIRE_JSON"]}}'

fail() {
  echo "buf-check: FAILED: $*" >&2
  exit 1
}
step() {
  echo
  echo "== $*"
}

# --- buf itself ---------------------------------------------------------------------------------------------
if [[ -z "${BUF:-}" ]]; then
  BUF=$root/tools/buf/node_modules/.bin/buf
  if [[ ! -x "$BUF" ]]; then
    command -v npm >/dev/null 2>&1 || fail "buf is not installed and npm is missing: install Node.js/npm, or set BUF to a buf binary"
    echo "buf-check: installing the pinned buf CLI (npm ci in tools/buf)"
    npm ci --prefix "$root/tools/buf" --no-audit --no-fund >&2 || fail "npm ci in tools/buf could not install buf"
  fi
fi
"$BUF" --version >/dev/null 2>&1 || fail "buf does not run: $BUF"
echo "buf-check: using buf $("$BUF" --version) ($BUF)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# WIRE_JSON check of a contract image against the original seed file. The seed is put alone in a directory, so
# that its path (user.proto) matches ours; WIRE_JSON rather than FILE, because the seed predates our java_*
# options, which matter to generated Java code but not to any existing client on the wire or in JSON.
mkdir "$tmp/seed"
cp "$seed" "$tmp/seed/user.proto"
breaking_against_seed() {
  "$BUF" breaking "$1" --against "$tmp/seed" --config "$wire_json_config" --exclude-imports
}

# --- 1. format and lint ---------------------------------------------------------------------------------------
step "buf format (the buf GitHub Action fails pull requests on a format diff too; fix with: buf format -w)"
"$BUF" format --diff --exit-code
echo "ok"

step "buf lint"
"$BUF" lint
echo "ok"

# --- 2. wire + JSON compatibility with the original contract ----------------------------------------------------
step "buf breaking: $contract against the original $seed (WIRE_JSON)"
"$BUF" build --path "$contract" -o "$tmp/contract.binpb"
breaking_against_seed "$tmp/contract.binpb"
echo "ok"

# --- 3. no breaking change against the previous commit ---------------------------------------------------------
step "buf breaking: working tree against $against_ref (FILE rules of buf.yaml)"
if ! git rev-parse --verify --quiet "$against_ref^{commit}" >/dev/null; then
  if [[ "$(git rev-parse --is-shallow-repository 2>/dev/null)" == true ]]; then
    fail "$against_ref is not in this shallow clone; fetch the history (actions/checkout: fetch-depth: 0)"
  fi
  echo "SKIPPED: there is no commit $against_ref to compare with (first commit)"
elif ! git cat-file -e "$against_ref:buf.yaml" 2>/dev/null; then
  echo "SKIPPED: $against_ref has no buf.yaml yet, so there is no buf workspace to compare with"
else
  "$BUF" breaking --against ".git#ref=$against_ref"
  echo "ok"
fi

# --- 4. self-test: a real break must be caught -------------------------------------------------------------------
step "self-test: renumbering UserResponse.email (2 -> 12) must break compatibility"
mkdir -p "$tmp/mutant/$(dirname "$contract")"
cp buf.yaml "$tmp/mutant/"
cp -R third_party "$tmp/mutant/"
sed '/^message UserResponse {/,/^}/ s/string email = 2;/string email = 12;/' "$contract" >"$tmp/mutant/$contract"
grep -q 'string email = 12;' "$tmp/mutant/$contract" ||
  fail "self-test: the sed did not change $contract (was UserResponse.email moved or reformatted?)"
"$BUF" build "$tmp/mutant" --path "$tmp/mutant/$contract" -o "$tmp/mutant.binpb"

expect_breaking() { # description, command...: passes only when buf reports breaking changes (exit code 100)
  local what=$1 rc=0
  shift
  "$@" >"$tmp/out.txt" 2>&1 || rc=$?
  if [[ $rc -ne 100 ]]; then
    cat "$tmp/out.txt" >&2
    fail "self-test: $what exited with $rc; expected 100 (breaking changes found)"
  fi
  grep -q 'email' "$tmp/out.txt" || { cat "$tmp/out.txt" >&2; fail "self-test: $what did not name the email field"; }
  echo "ok, $what fails as it must:"
  sed 's/^/    /' "$tmp/out.txt"
}
expect_breaking "the check against the seed (WIRE_JSON)" breaking_against_seed "$tmp/mutant.binpb"
expect_breaking "the check against the unmodified contract (FILE)" \
  "$BUF" breaking "$tmp/mutant.binpb" --against "$tmp/contract.binpb" --config buf.yaml --exclude-imports

echo
echo "buf-check: all checks passed"
