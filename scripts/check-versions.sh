#!/usr/bin/env bash
# make test: the version of the extension, tags.control's default_version
# (X.Y), is the one every other file says: the module's (PG_MODULE_MAGIC_EXT
# in src/tags.c), META.json's (the distribution's and the extension's,
# X.Y.0: PGXN wants three numbers), debian/changelog's newest entry (X.Y-N)
# and CHANGELOG.md's first section; and the version has its upgrade script
# in the Makefile's DATA.  Ends with "N passed, M failed" (1 check).
set -uo pipefail
cd "$(dirname "$0")/.."

control=$(scripts/extension-version.sh)
module=$(sed -n 's/^[[:space:]]*\.version = "\(.*\)"$/\1/p' src/tags.c)
# what META.json says wrong: a required key of the PGXN Meta Spec it
# lacks, a version that is not semver, or not X.Y.0
meta_bad=$(python3 - "$control.0" <<'PY'
import json, re, sys
want = sys.argv[1]
try:
    m = json.load(open("META.json"))
except (OSError, ValueError) as e:
    print(f"META.json cannot be read as JSON: {e}")
    sys.exit(0)
semver = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-+].*)?$")
for k in ["name", "version", "abstract", "maintainer", "license", "provides", "meta-spec"]:
    if k not in m: print("META.json lacks the required key", k)
for name, e in m.get("provides", {}).items():
    for k in ["file", "version"]:
        if k not in e: print("META.json provides", name, "without", k)
versions = {"version": m.get("version"),
            "provides.tags.version": m.get("provides", {}).get("tags", {}).get("version")}
for key, v in versions.items():
    if v is not None and not semver.match(str(v)): print(f"META.json's {key} {v} is not a semantic version")
    if v != want: print(f"META.json's {key} is '{v}', not '{want}'")
if m.get("meta-spec", {}).get("version", "").split(".")[:2] != ["1", "0"]: print("META.json's meta-spec is not 1.0.x")
PY
) || meta_bad="META.json was not checked (python3 failed)"
debian=$(dpkg-parsechangelog -S Version 2>/dev/null || sed -n '1s/^tags (\(.*\)) .*/\1/p' debian/changelog)
changelog=$(sed -n 's/^## \([0-9][0-9.]*\) .*/\1/p' CHANGELOG.md | head -n 1)

bad=()
[ -z "$meta_bad" ] || mapfile -t bad <<<"$meta_bad"
[ -n "$control" ] || bad+=("tags.control has no default_version")
[ "$module" = "$control" ] || bad+=("src/tags.c's module version is '$module'")
[ "${debian%-*}" = "$control" ] || bad+=("debian/changelog's newest version is '$debian', not '$control-N'")
[ "$changelog" = "$control" ] || bad+=("CHANGELOG.md's first section is '$changelog'")
grep -Eq "^DATA = .*tags--[0-9.]+--$control\.sql" Makefile ||
	bad+=("the Makefile's DATA has no upgrade script to $control")

if [ ${#bad[@]} -eq 0 ]; then
	echo "versions: $control in tags.control, src/tags.c, META.json ($control.0), debian/changelog ($debian) and CHANGELOG.md"
	echo "1 passed, 0 failed"
else
	echo "versions: tags.control says $control, but:" >&2
	printf '  %s\n' "${bad[@]}" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
