#!/usr/bin/env bash
# Proves, offline, that the npm package of clients/typescript (@usergrpc/user-api) is what a release would
# publish and that it works for a consumer, as scripts/check-release.sh does for Maven Central:
#   1. builds it (npm ci when needed, npm run build) and packs it with the release version, into
#      clients/typescript/build/npm/ (release.yml publishes exactly that tarball);
#   2. checks the tarball: the version, every file "exports" and "types" name, the generated code, the README,
#      and nothing else (no sources, tests, build output or node_modules);
#   3. installs it with npm --prefer-offline (dependencies from the npm cache that step 1 filled; npm ci caches
#      tarballs but not the registry's metadata, which a fresh machine fetches once) into a new project,
#      type-checks a consumer importing ".", "./node" and "./web" with tsc, and runs it.
# All problems of step 2 are listed before the script fails. Run from anywhere in the repository; used by
# .ci/run and release.yml. Fails when node or npm is missing.
#
# Environment:
#   NPM_CHECK_VERSION  the version to pack, as release.yml passes it from the tag (default: 0.0.0-check).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
pkg=$PWD/clients/typescript
version=${NPM_CHECK_VERSION:-0.0.0-check}
out=$pkg/build/npm

fail() {
  echo "check-npm-package: FAILED: $*" >&2
  exit 1
}

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || fail "node and npm are required"

# --- 1. build and pack ------------------------------------------------------------------------------------------
cd "$pkg"
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund
fi
npm run build

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Packs a copy, so that setting the version leaves package.json in the repository untouched.
stage=$tmp/stage
mkdir -p "$stage"
cp -R package.json README.md dist "$stage/"
(cd "$stage" && npm version --no-git-tag-version --allow-same-version "$version" >/dev/null)
rm -rf "$out"
mkdir -p "$out"
tarball=$out/$(cd "$stage" && npm pack --pack-destination "$out" --silent)
echo "check-npm-package: packed $tarball"

# --- 2. what is in the tarball ----------------------------------------------------------------------------------
mkdir "$tmp/unpacked"
tar -xzf "$tarball" -C "$tmp/unpacked"
node --input-type=module - "$tmp/unpacked/package" "$version" <<'JS'
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const [dir, version] = process.argv.slice(2);
const errors = [];
const check = (ok, what) => {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) errors.push(what);
};
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d)) {
    const path = join(d, name);
    statSync(path).isDirectory() ? walk(path) : files.push(relative(dir, path));
  }
};
walk(dir);

const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
check(manifest.name === "@usergrpc/user-api", `name is @usergrpc/user-api (${manifest.name})`);
check(manifest.version === version, `version is ${version} (${manifest.version})`);
check(manifest.type === "module", "an ES module package");
for (const key of ["description", "license", "repository", "homepage"]) {
  check(manifest[key] !== undefined, `package.json has ${key}`);
}
const targets = [manifest.types];
for (const [subpath, target] of Object.entries(manifest.exports)) {
  targets.push(...(typeof target === "string" ? [target] : Object.values(target)));
  if (subpath !== "./package.json") {
    check(typeof target === "object" && Object.keys(target)[0] === "types", `exports["${subpath}"] lists "types" first`);
  }
}
for (const target of targets) {
  check(existsSync(join(dir, target)), `${target} (named in package.json) is in the tarball`);
}
for (const file of ["README.md", "dist/gen/user_pb.js", "dist/gen/user_pb.d.ts", "dist/gen/google/rpc/error_details_pb.js"]) {
  check(files.includes(file), `${file} is in the tarball`);
}
const unexpected = files.filter(
  (f) => !(f === "package.json" || f === "README.md" || /^dist\/.*\.(js|d\.ts)$/.test(f)),
);
check(unexpected.length === 0, `nothing but package.json, README.md and dist/**/*.{js,d.ts} (${unexpected.join(", ") || "none else"})`);
console.log(`  ${files.length} files`);
if (errors.length > 0) {
  console.error(`${errors.length} problem(s) in the tarball`);
  process.exit(1);
}
JS

# --- 3. install offline and use it ------------------------------------------------------------------------------
consumer=$tmp/consumer
mkdir -p "$consumer"
cd "$consumer"
cat >package.json <<'EOF'
{ "name": "consumer", "private": true, "type": "module" }
EOF
types_node=$(node -p 'require(process.argv[1]).devDependencies["@types/node"]' "$pkg/package.json")
echo "check-npm-package: npm install --prefer-offline $tarball @types/node@$types_node"
npm install --prefer-offline --no-audit --no-fund "$tarball" "@types/node@$types_node" ||
  fail "npm install of the tarball failed (its dependencies must resolve from the npm cache or the registry)"

cat >consumer.ts <<'EOF'
import { create } from "@bufbuild/protobuf";
import { CreateUserRequestSchema, ErrorInfoSchema, UserService, createValidator, type UserResponse } from "@usergrpc/user-api";
import { createUserClient } from "@usergrpc/user-api/node";
import { createUserClient as createWebClient } from "@usergrpc/user-api/web";

const node = createUserClient("http://127.0.0.1:1");
const web = createWebClient("http://127.0.0.1:1");
const read: (u: UserResponse) => bigint = (u) => u.createdAt;
const result = createValidator().validate(CreateUserRequestSchema, create(CreateUserRequestSchema, { email: "x", name: "Ada" }));
const rules = result.kind === "invalid" ? result.violations.map((v) => v.ruleId) : [];
if (UserService.typeName !== "user.UserService" || ErrorInfoSchema.typeName !== "google.rpc.ErrorInfo"
    || typeof node.watchUserActivity !== "function" || typeof web.getUser !== "function"
    || typeof read !== "function" || rules.join() !== "string.email") {
  throw new Error(`the installed package does not work: ${UserService.typeName} ${rules}`);
}
console.log(`consumer: ${UserService.typeName} with ${UserService.methods.length} methods; validator: ${rules}`);
EOF
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022", "lib": ["ES2022", "DOM"], "module": "NodeNext", "moduleResolution": "NodeNext",
    "strict": true, "types": ["node"], "outDir": "out", "skipLibCheck": false
  },
  "files": ["consumer.ts"]
}
EOF
echo "check-npm-package: tsc (with skipLibCheck off: the package's own declarations are checked too)"
"$pkg/node_modules/.bin/tsc" -p tsconfig.json || fail "the consumer does not type-check against the installed package"
node out/consumer.js || fail "the consumer does not run"

echo
echo "check-npm-package: all checks passed ($tarball)"
