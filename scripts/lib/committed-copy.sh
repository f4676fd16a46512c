# What the scripts share that keep a generated file committed (console-check.sh, openapi-check.sh): the
# --write argument, the check for node and npm, installing pinned npm packages when their lock file is newer,
# and writing the generated file over the committed copy or failing when the two differ. Sourced, not run:
#   source "$root/scripts/lib/committed-copy.sh"
#   committed_copy_init NAME "$@"        # NAME is the script's name without .sh; sets $write
#   npm_ci_if_stale DIR WHAT             # npm ci in DIR unless its node_modules is newer than its lock file
#   write_or_compare COMMITTED GENERATED SOURCES
# Expects $root, the repository root, and the working directory there.

fail() {
  echo "${check_name:-check}: FAILED: $*" >&2
  exit 1
}

committed_copy_init() {
  check_name=$1
  shift
  write=false
  case "${1:-}" in
    "") ;;
    --write) write=true ;;
    *) fail "unknown argument $1 (usage: scripts/$check_name.sh [--write])" ;;
  esac
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || fail "node and npm are required"
}

npm_ci_if_stale() {
  local dir=$1 what=$2
  if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules" ]]; then
    echo "$check_name: installing the pinned $what (npm ci in ${dir#"$root"/})"
    npm ci --prefix "$dir" --no-audit --no-fund >&2 || fail "npm ci in ${dir#"$root"/} failed"
  fi
}

# Copies GENERATED over COMMITTED with --write; else fails, showing the start of the difference, unless the
# two are the same. SOURCES names what the file is generated from, for the failure message.
write_or_compare() {
  local committed=$1 generated=$2 sources=$3
  if $write; then
    mkdir -p "$(dirname "$committed")"
    cp "$generated" "$committed"
    echo "$check_name: wrote $committed"
    exit 0
  fi
  echo "== committed $committed is up to date"
  if ! cmp -s "$committed" "$generated"; then
    diff -u "$committed" "$generated" | head -50 | cut -c1-200 >&2 || true
    fail "$committed is not what $sources generates; run scripts/$check_name.sh --write and commit the result"
  fi
  echo "ok"
  echo
  echo "$check_name: all checks passed"
}
