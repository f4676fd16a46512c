#!/usr/bin/env bash
# Proves, offline, that a release would be accepted by Maven Central: builds with the release profile (sources and
# javadoc jars) and -Drevision as release.yml does, but skips signing and deploys into target/staging-repo instead of
# the Central Portal; then checks what landed there:
#   - every artifact: its POM, and no version placeholder a consumer could not resolve (no ${revision} at all);
#   - user-grpc-parent, user-grpc-dependencies and user-bom: POM-only; user-bom has no <parent> and pins user-api, user-client,
#     user-service, user-server and user-testkit at the released version;
#   - the jar modules: the jar, -sources.jar and -javadoc.jar;
#   - the metadata Central requires (name, description, url, licenses, scm, developers) as Maven computes it for a
#     consumer (see "Metadata" in the checker below);
#   - the user-api jar holds only classes under io/github/usergrpc/user/v1/ (generated) and io/github/usergrpc/user/api/
#     (the shared wire vocabulary), .proto files and META-INF entries;
#   - each jar module's jar declares its Automatic-Module-Name, the one pinned below (a published name never
#     changes: consumers on the module path require it), and the JDK's jar tool derives exactly that module from
#     it; no two of the jars share a package (the module path refuses split packages).
# All problems are listed before the script fails. Needs Java 17 and python3. Run from anywhere in the repository.
#
# Environment:
#   RELEASE_CHECK_MODULES  jar modules to check (default: "user-api user-client user-service user-server user-testkit"). All
#                          modules are always built and deployed; this only narrows the checks, e.g. while a module
#                          has no code yet and therefore gets no -sources/-javadoc jar.
#   RELEASE_CHECK_VERSION  the version to build, as release.yml passes it with -Drevision (default: 0.0.0-check).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
modules=${RELEASE_CHECK_MODULES:-user-api user-client user-service user-server user-testkit}
version=${RELEASE_CHECK_VERSION:-0.0.0-check}
staging=$root/target/staging-repo

command -v python3 >/dev/null 2>&1 || { echo "check-release: FAILED: python3 is needed to check the deployed POMs" >&2; exit 1; }

rm -rf "$staging"
# maven-deploy-plugin 3.x takes altDeploymentRepository as id::url (the 2.x id::layout::url form is gone).
# maven.install.skip keeps this throw-away version out of ~/.m2.
(
  set -x
  ./mvnw -B -Prelease -Dgpg.skip -DskipTests -Dmaven.install.skip=true -Drevision="$version" \
    clean deploy -DaltDeploymentRepository="local::file://$staging"
)

echo
echo "check-release: checking $staging (version $version; jar modules: $modules)"
python3 - "$staging" "$version" $modules <<'PY'
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

staging, version, jar_modules = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
GROUP = "io.github.usergrpc"
PARENT = "user-grpc-parent"
OURS = ["user-api", "user-client", "user-service", "user-server", "user-testkit"]
# The module names consumers on the module path get. Published once, never changed.
MODULE_NAMES = {"user-api": "io.github.usergrpc.user.api", "user-client": "io.github.usergrpc.user.client",
                "user-service": "io.github.usergrpc.user.service", "user-server": "io.github.usergrpc.user.server",
                "user-testkit": "io.github.usergrpc.user.testkit"}
NS = {"m": "http://maven.apache.org/POM/4.0.0"}
errors = []


def err(msg):
    errors.append(msg)
    print(f"  FAIL {msg}")


def ok(msg):
    print(f"  ok   {msg}")


def artifact_dir(group, artifact, ver):
    return staging / group.replace(".", "/") / artifact / ver


def load_pom(group, artifact, ver):
    path = artifact_dir(group, artifact, ver) / f"{artifact}-{ver}.pom"
    return (path, ET.parse(path).getroot()) if path.is_file() else (path, None)


def text(el, path):
    found = el.find(path, NS)
    return found.text.strip() if found is not None and found.text else None


def parent_of(pom):
    p = pom.find("m:parent", NS)
    return None if p is None else (text(p, "m:groupId"), text(p, "m:artifactId"), text(p, "m:version"))


def chain(pom):
    """The POM and its deployed ancestors, nearest first; a parent missing from the staging repo is an error."""
    poms = [pom]
    while (p := parent_of(poms[-1])) is not None:
        path, parent = load_pom(*p)
        if parent is None:
            err(f"parent {':'.join(p)} is not deployed ({path.name} missing), so consumers cannot resolve it")
            break
        poms.append(parent)
    return poms


def properties(poms, artifact):
    props = {"project.version": version, "project.groupId": GROUP, "project.artifactId": artifact}
    for pom in reversed(poms):  # nearer POMs override
        for prop in pom.findall("m:properties/*", NS):
            props[prop.tag.split("}")[1]] = (prop.text or "").strip()
    return props


def resolve(value, props, depth=0):
    if value is None or "${" not in value or depth > 10:
        return value
    return resolve(re.sub(r"\$\{([^}]+)}", lambda m: props.get(m.group(1), m.group(0)), value), props, depth + 1)


# Maven appends "/<artifactId>" to an inherited project url and scm urls, unless the parent opts out with
# child.project.url.inherit.append.path="false" (on <project>) or child.scm.*.inherit.append.path="false" (on <scm>).
APPENDED = {"url": ("m:url", "child.project.url.inherit.append.path", None),
            "scm/connection": ("m:scm/m:connection", "child.scm.connection.inherit.append.path", "m:scm"),
            "scm/developerConnection": ("m:scm/m:developerConnection",
                                        "child.scm.developerConnection.inherit.append.path", "m:scm"),
            "scm/url": ("m:scm/m:url", "child.scm.url.inherit.append.path", "m:scm")}


def effective_url(poms, key):
    """What Maven computes for a consumer: the nearest declared value, plus one /artifactId per inheriting child."""
    path, attr, holder = APPENDED[key]
    for depth, pom in enumerate(poms):
        value = text(pom, path)
        if value is not None:
            for child in reversed(poms[:depth]):
                flag_on = pom if holder is None else pom.find(holder, NS)
                if flag_on is None or flag_on.get(attr) != "false":
                    value = value.rstrip("/") + "/" + text(child, "m:artifactId")
            return value
    return None


def check_pom(artifact, packaging):
    print(f"{artifact}:")
    path, pom = load_pom(GROUP, artifact, version)
    if pom is None:
        err(f"{artifact}: {path.name} was not deployed")
        return None, []
    raw = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
    if "${revision}" in raw:
        err(f"{artifact}: the deployed POM still contains ${{revision}} (flatten-maven-plugin did not run?)")
    actual_packaging = text(pom, "m:packaging") or "jar"
    if actual_packaging != packaging:
        err(f"{artifact}: packaging is {actual_packaging}, expected {packaging}")
    poms = chain(pom)
    props = properties(poms, artifact)

    # Placeholders a consumer resolves: versions of the project, its parent and every (managed) dependency.
    # ${...} in <build> is harmless to consumers and is not checked.
    versioned = [("project version", pom.find("m:version", NS)), ("parent version", pom.find("m:parent/m:version", NS))]
    for dep in pom.findall("m:dependencies/m:dependency", NS) + pom.findall(
            "m:dependencyManagement/m:dependencies/m:dependency", NS):
        versioned.append((f"version of {text(dep, 'm:groupId')}:{text(dep, 'm:artifactId')}", dep.find("m:version", NS)))
    unresolved = [f"{what} = {el.text.strip()}" for what, el in versioned
                  if el is not None and el.text and "${" in resolve(el.text.strip(), props)]
    if unresolved:
        err(f"{artifact}: placeholders no consumer can resolve: " + "; ".join(unresolved))
    else:
        ok("no unresolved ${revision} or version placeholders")

    # Metadata, as Maven computes it for a consumer: <name> is never inherited, so each POM needs its own; the others
    # may come from the deployed parent. Everything is one Git repository, so url and scm must equal the parent's:
    # an inherited value with /<artifactId> appended points at nothing.
    before = len(errors)
    if text(pom, "m:name") is None:
        err(f"{artifact}: no <name> (not inherited from a parent)")
    for key in ("description", "licenses/license/name", "developers/developer"):
        holder = next((p for p in poms if p.find("m:" + key.replace("/", "/m:"), NS) is not None), None)
        if holder is None:
            err(f"{artifact}: no <{key.split('/')[0]}>, neither declared nor inherited")
    for key in APPENDED:
        value = effective_url(poms, key)
        expected = text(build_parent, APPENDED[key][0]) if build_parent is not None else value
        if value is None:
            err(f"{artifact}: no <{key}>, neither declared nor inherited")
        elif value != expected:
            err(f"{artifact}: effective <{key}> is {value}, not the repository's {expected}")
    if len(errors) == before:
        src = "declared" if parent_of(pom) is None else "declared or inherited from the deployed " + PARENT
        ok(f"name, description, url, licenses, scm, developers present ({src})")
    return pom, poms


# --- the POM-only artifacts -------------------------------------------------------------------------------------
build_parent = None  # url and scm of every artifact must equal the parent's: one Git repository
build_parent, _ = check_pom(PARENT, "pom")
check_pom("user-grpc-dependencies", "pom")
bom, _ = check_pom("user-bom", "pom")
if bom is not None:
    if parent_of(bom) is not None:
        err("user-bom: the deployed BOM has a <parent>; importing it would drag in the build parent")
    else:
        ok("no <parent>")
    bom_props = properties([bom], "user-bom")
    pinned = {text(d, "m:artifactId"): resolve(text(d, "m:version"), bom_props)
              for d in bom.findall("m:dependencyManagement/m:dependencies/m:dependency", NS)
              if text(d, "m:groupId") == GROUP}
    for artifact in OURS:
        if pinned.get(artifact) != version:
            err(f"user-bom: does not pin {GROUP}:{artifact}:{version} (found: {pinned.get(artifact)})")
    if all(pinned.get(a) == version for a in OURS):
        ok(f"pins {', '.join(OURS)} at {version}")

# --- the jar modules ------------------------------------------------------------------------------------------------
for artifact in jar_modules:
    check_pom(artifact, "jar")
    directory = artifact_dir(GROUP, artifact, version)
    for suffix in ("", "-sources", "-javadoc"):
        jar = directory / f"{artifact}-{version}{suffix}.jar"
        if jar.is_file():
            ok(jar.name)
        else:
            err(f"{artifact}: {jar.name} was not deployed"
                + (" (the source and javadoc plugins make none for a module without main sources)" if suffix else ""))

# --- user-api holds the contract and its vocabulary only ---------------------------------------------------------------
if "user-api" in jar_modules:
    jar = artifact_dir(GROUP, "user-api", version) / f"user-api-{version}.jar"
    if jar.is_file():
        # The generated contract, and the hand-written wire vocabulary beside it.
        packages = ["io/github/usergrpc/user/v1/", "io/github/usergrpc/user/api/"]
        allowed_dirs = {p[: i + 1] for p in packages for i, c in enumerate(p) if c == "/"}
        strays = [n for n in zipfile.ZipFile(jar).namelist()
                  if not (n.startswith("META-INF/") or n.endswith(".proto") or n in allowed_dirs
                          or any(n.startswith(p) and (n.endswith(".class") or n.endswith("/")) for p in packages))]
        if strays:
            err("user-api: the jar holds more than the contract and its vocabulary: " + ", ".join(strays))
        else:
            ok(f"user-api jar: only classes under {' and '.join(packages)}, .proto files and META-INF entries")

# --- module names: Automatic-Module-Name, as the JDK reads it; no split packages ----------------------------------
def manifest_attributes(jar):
    """The main attributes of a jar's manifest; continuation lines (a leading space) are joined."""
    text = zipfile.ZipFile(jar).read("META-INF/MANIFEST.MF").decode("utf-8")
    attributes, last = {}, None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            break  # the main section ends at the first blank line
        if line.startswith(" ") and last is not None:
            attributes[last] += line[1:]
        elif ":" in line:
            last, value = line.split(":", 1)
            attributes[last] = value.strip()
    return attributes


java_home = os.environ.get("JAVA_HOME")
jar_tool = (str(Path(java_home) / "bin" / "jar") if java_home and (Path(java_home) / "bin" / "jar").is_file()
            else shutil.which("jar"))
packages_of = {}
for artifact in jar_modules:
    jar = artifact_dir(GROUP, artifact, version) / f"{artifact}-{version}.jar"
    if not jar.is_file():
        continue  # reported above
    print(f"{artifact} module name:")
    expected = MODULE_NAMES.get(artifact)
    declared = manifest_attributes(jar).get("Automatic-Module-Name")
    if expected is None:
        err(f"{artifact}: no module name pinned in MODULE_NAMES of scripts/check-release.sh (declared: {declared})")
    elif declared != expected:
        err(f"{artifact}: Automatic-Module-Name is {declared}, expected {expected} (set automatic.module.name in "
            f"{artifact}/pom.xml; a published name must not change)")
    elif jar_tool is None:
        err("the JDK's jar tool was not found (JAVA_HOME/bin/jar or on PATH)")
    else:
        described = subprocess.run([jar_tool, "--describe-module", "--file", str(jar)], capture_output=True,
                                   text=True)
        derived = f"{expected}@{version} automatic"
        if described.returncode != 0 or derived not in described.stdout.splitlines():
            err(f"{artifact}: jar --describe-module does not derive {derived}: "
                + (described.stdout + described.stderr).strip().replace("\n", " | "))
        else:
            ok(f"Automatic-Module-Name: {expected} (jar --describe-module: {derived})")
    packages_of[artifact] = {n.rsplit("/", 1)[0].replace("/", ".") for n in zipfile.ZipFile(jar).namelist()
                             if n.endswith(".class") and "/" in n and not n.startswith("META-INF/")}
shared = {}
for artifact, packages in packages_of.items():
    for package in packages:
        shared.setdefault(package, []).append(artifact)
split = {p: a for p, a in shared.items() if len(a) > 1}
if split:
    err("split packages (the module path refuses them): "
        + "; ".join(f"{p} in {', '.join(a)}" for p, a in sorted(split.items())))
elif packages_of:
    ok(f"no package is in two of {', '.join(packages_of)}")

print()
if errors:
    print(f"check-release: FAILED, {len(errors)} problem(s):")
    for e in errors:
        print(f"  - {e}")
    if any("effective <" in e for e in errors):
        print("Maven appends /<artifactId> to an inherited <url> and <scm> URLs. Turn that off in the parent pom with\n"
              "  <project child.project.url.inherit.append.path=\"false\" ...> and <scm child.scm.connection.inherit.append.path=\"false\"\n"
              "  child.scm.developerConnection.inherit.append.path=\"false\" child.scm.url.inherit.append.path=\"false\">.")
    sys.exit(1)
print("check-release: the deployed artifacts are ready for Maven Central")
PY
