#!/usr/bin/env bash
# make deb: the Debian package postgresql-<N>-tags of this tree, one for
# each PostgreSQL version of debian/pgversions that postgresql-common supports
# (dpkg-buildpackage -us -uc -b, debian/rules on pg_buildext), in build/deb/
# (which git ignores).  The build runs in a copy of the tree's files as they
# are (tracked ones, and new ones git does not ignore), build/deb/tags-<version>,
# so that the tree gets no build-<N>/ and debian/ no build leftovers.
# DEB_BUILD_OPTIONS=nocheck leaves out the suites the build runs against
# the files it made (dh_pgxs_test); the packages are listed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# what building needs, from Debian: debian/control's Build-Depends (the
# suites' server and CLDR data too, even with nocheck; dpkg-buildpackage
# refuses to start if this list falls behind debian/control)
scripts/apt-install.sh deb build-essential dpkg-dev debhelper \
	postgresql-server-dev-all libicu-dev postgresql-all unicode-cldr-core

version=$(dpkg-parsechangelog -S Version)
out=${DEB_OUT:-build/deb}
src=$out/tags-${version%-*}
mkdir -p "$out"
rm -rf "$src" "$out"/postgresql-*-tags*_"$version"_* "$out"/tags_"$version"_*
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -xf - -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b)
rm -rf "$src"
echo "deb: built in $out:"
ls -l "$out"/*_"$version"_*.deb
