#!/usr/bin/env bash
# Builds PostgreSQL N (16, 17, 18, 19, ...) from source, at its stable
# branch point, for make test-versions:
#
#   scripts/build-postgres.sh N            build N unless it is built already
#   scripts/build-postgres.sh --rebuild N  build it again
#
# The branch point of N is the parent of the commit "Stamp HEAD as
# <N+1>devel" in a clone of the public repository hackorum-dev/postgres
# (master, full history).  It is not a release: it is the tree the day the
# stable branch REL_N_STABLE was made, still a beta.  The tree is exported
# with git archive, configured for the suites (TAP tests, ICU, libxml for
# XMLTABLE) and built with the contrib modules the tests load, then
# installed into a prefix of its own.  The prefix records what it was built
# from in the file branch-point, which make test-versions prints.
#
# Environment:
#   PG_SOURCE_GIT   the clone's git directory
#                   (default /work/.mirror/hackorum-dev+postgres/repo)
#   PG_PREFIX_ROOT  prefixes go to $PG_PREFIX_ROOT/N (default /work/pg);
#                   make test-versions looks for versions there
#   PG_BUILD_ROOT   source trees and build logs go to $PG_BUILD_ROOT/N and
#                   $PG_BUILD_ROOT/N.log (default /work/pg-build)
#   JOBS            parallel make jobs (default 2)
#
# Installs the Debian/Ubuntu packages the build needs when they are missing
# (as root, or through sudo).  Builds as any user; only the tests need an
# unprivileged one, as initdb refuses root.
set -euo pipefail
cd "$(dirname "$0")/.."

rebuild=0
if [ "${1:-}" = "--rebuild" ]; then
	rebuild=1
	shift
fi
if [ $# -ne 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 [--rebuild] N   (N a major version, 16 or later)" >&2
	exit 2
fi
major=$1
git_dir=${PG_SOURCE_GIT:-/work/.mirror/hackorum-dev+postgres/repo}
prefix_root=${PG_PREFIX_ROOT:-/work/pg}
build_root=${PG_BUILD_ROOT:-/work/pg-build}
jobs=${JOBS:-2}
prefix=$prefix_root/$major
src=$build_root/$major
log=$build_root/$major.log

# the modules the tests load: pg_stat_statements (preloaded; statements.sql
# and plans.sql count statements), amcheck (the TAP tests check indexes
# and heaps)
contrib=(pg_stat_statements amcheck)

# what building from a git tree needs (a tarball ships the bison and flex
# output, git does not), and what the configure options below link to
scripts/apt-install.sh build-postgres build-essential bison flex pkg-config \
	libicu-dev libxml2-dev zlib1g-dev libipc-run-perl perl

# the branch point: parent of the one commit that stamps the next devel
stamps=$(git --git-dir="$git_dir" log --format=%H --fixed-strings \
	--grep="Stamp HEAD as $((major + 1))devel" HEAD)
if [ -z "$stamps" ]; then
	echo "build-postgres: no commit \"Stamp HEAD as $((major + 1))devel\" in $git_dir: $major has not branched there" >&2
	exit 1
fi
if [ "$(echo "$stamps" | wc -l)" -ne 1 ]; then
	echo "build-postgres: more than one commit \"Stamp HEAD as $((major + 1))devel\" in $git_dir:" $stamps >&2
	exit 1
fi
commit=$(git --git-dir="$git_dir" rev-parse "$stamps^1")
described=$(git --git-dir="$git_dir" log -1 --format='%H %cs %s' "$commit")
version=$(git --git-dir="$git_dir" show "$commit:configure.ac" |
	sed -n 's/^AC_INIT(\[PostgreSQL\], \[\([^]]*\)\].*/\1/p')

if [ "$rebuild" -eq 0 ] && [ -x "$prefix/bin/pg_config" ] &&
	[ "$(head -n 1 "$prefix/branch-point" 2>/dev/null)" = "$described" ]; then
	echo "build-postgres: $major ($version at ${commit:0:10}) is built in $prefix; --rebuild builds it again"
	exit 0
fi

mkdir -p "$build_root"
echo "build-postgres: building $major ($version) at $described into $prefix; log in $log"
{
	set -x
	rm -rf "$src" "$prefix"
	mkdir -p "$src"
	git --git-dir="$git_dir" archive --format=tar "$commit" | tar -x -C "$src"
	cd "$src"
	./configure --prefix="$prefix" --enable-tap-tests --with-icu --with-libxml \
		--without-readline
	make -j"$jobs"
	for module in "${contrib[@]}"; do
		make -j"$jobs" -C "contrib/$module"
	done
	make install
	for module in "${contrib[@]}"; do
		make -C "contrib/$module" install
	done
	set +x
} > "$log" 2>&1 || {
	echo "build-postgres: building $major failed; the end of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}
# recorded last, so that a build that stopped half way is built again
printf '%s\n%s\n' "$described" "$version" > "$prefix/branch-point"
echo "build-postgres: $major ($version) built into $prefix"
