#!/usr/bin/env bash
# make dist: the PGXN release tags-<version>.zip (version: X.Y.0 for the
# extension's X.Y, as META.json says it: check-versions.sh), the git
# archive of the tag v<extension version> (tags.control's, as v1.3), with
# every file under tags-<version>/; without that tag, of HEAD, said so.
# Files git does not track, and changes not committed, are not in it.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(scripts/extension-version.sh).0
ext=$(scripts/extension-version.sh)
if git rev-parse -q --verify "refs/tags/v$ext^{commit}" >/dev/null; then
	ref=v$ext
else
	ref=HEAD
	echo "dist: no tag v$ext: the archive is of HEAD ($(git rev-parse --short HEAD))" >&2
fi
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "dist: the tree has changes not committed; they are not in the archive" >&2
git archive --format=zip --prefix="tags-$version/" -o "tags-$version.zip" "$ref"
echo "dist: tags-$version.zip ($ref, $(stat -c %s "tags-$version.zip") bytes)"
