#!/usr/bin/env bash
# Builds Citus from source and installs it into Debian's PostgreSQL 15, for
# make test-citus (doc/citus.md):
#
#   scripts/build-citus.sh            build it unless that tag is installed
#   scripts/build-citus.sh --rebuild  build it again
#
# Citus is not in Debian.  The tree of tag CITUS_TAG (v13.2.2, the newest
# Citus for PostgreSQL 15) is exported from a clone of the public
# repository citusdata/citus with git archive, configured against
# pg_config and installed where that server loads modules from.
# PostgreSQL 15.20's headers declare have_createdb_privilege(), which
# Citus' src/include/pg_version_compat.h defines again as a static
# function for servers before 16: a #define in front of Citus' copy
# renames it.  The installed build records its tag in
# $(pg_config --sharedir)/extension/citus.built-from.  It is configured
# --without-libcurl: no statistics are sent home, and libcurl is not needed.
#
# Environment:
#   CITUS_SOURCE_GIT  the clone's git directory
#                     (default /work/.mirror/citusdata+citus/repo)
#   CITUS_TAG         the tag to build (default v13.2.2)
#   CITUS_BUILD_ROOT  source tree and build log go to $CITUS_BUILD_ROOT/TAG
#                     and TAG.log (default /work/citus-build)
#   PG_CONFIG         the server to build for (default pg_config)
#   JOBS              parallel make jobs (default 2)
#
# Installs the Debian packages the build needs when they are missing (as
# root, or through sudo); installing into the server needs root too.
set -euo pipefail
cd "$(dirname "$0")/.."

rebuild=0
if [ "${1:-}" = "--rebuild" ]; then
	rebuild=1
	shift
fi
git_dir=${CITUS_SOURCE_GIT:-/work/.mirror/citusdata+citus/repo}
tag=${CITUS_TAG:-v13.2.2}
build_root=${CITUS_BUILD_ROOT:-/work/citus-build}
pg_config=${PG_CONFIG:-pg_config}
jobs=${JOBS:-2}
src=$build_root/$tag
log=$build_root/$tag.log

scripts/apt-install.sh build-citus build-essential pkg-config \
	postgresql-server-dev-15 libicu-dev liblz4-dev \
	libzstd-dev libkrb5-dev libipc-run-perl

stamp=$("$pg_config" --sharedir)/extension/citus.built-from
if ! commit=$(git --git-dir="$git_dir" rev-parse --verify -q "$tag^{commit}" 2>/dev/null); then
	echo "build-citus: no tag $tag in $git_dir: clone github.com/citusdata/citus there (git clone --bare), or set CITUS_SOURCE_GIT" >&2
	exit 1
fi
if [ "$rebuild" -eq 0 ] && [ "$(cat "$stamp" 2>/dev/null)" = "$tag $commit" ] &&
	[ -f "$("$pg_config" --pkglibdir)/citus.so" ]; then
	echo "build-citus: Citus $tag is installed into $("$pg_config" --pkglibdir); --rebuild builds it again"
	exit 0
fi

echo "build-citus: building Citus $tag (${commit:0:10}) in $src (log $log)"
rm -rf "$src"
mkdir -p "$src"
git --git-dir="$git_dir" archive "$commit" | tar -x -C "$src"

# rename Citus' own have_createdb_privilege() for servers before 16
compat=$src/src/include/pg_version_compat.h
awk '
	/^static inline bool$/ { held = $0; next }
	held != "" {
		if ($0 == "have_createdb_privilege(void)")
			print "#define have_createdb_privilege citus_have_createdb_privilege"
		print held
		held = ""
	}
	{ print }
' "$compat" > "$compat.new"
mv "$compat.new" "$compat"
grep -q '^#define have_createdb_privilege citus_have_createdb_privilege' "$compat" || {
	echo "build-citus: no static have_createdb_privilege() to rename in $compat" >&2
	exit 1
}

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
(
	cd "$src"
	PG_CONFIG=$pg_config ./configure --without-libcurl
	make -j"$jobs"
	$sudo make install
) > "$log" 2>&1 || {
	echo "build-citus: the build failed; the end of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}
echo "$tag $commit" | $sudo tee "$stamp" > /dev/null
echo "build-citus: Citus $tag installed into $("$pg_config" --pkglibdir)"
