#!/usr/bin/env bash
# make package-test: the Debian package and the PGXN zip, each installed on
# this machine as a user would, tested, and removed.
#
#  1. removes any install of tags: a postgresql-<N>-tags package, and the
#     files a make install left, which would hide a file the package forgets
#  2. builds the package of this tree (make deb) and of the version before
#     (the 1.2 tree, commit $PREVIOUS_COMMIT, with this debian/ and its
#     changelog entry), and runs lintian on them (an error fails)
#  3. installs the previous package, makes a database with the extension at
#     that version and data in it, installs this package over it (apt), and
#     updates the extension (ALTER EXTENSION tags UPDATE): the data intact
#  4. runs the regression and isolation suites against the installed
#     package only, as autopkgtest does (debian/tests/installcheck)
#  5. removes the package: no file of tags is left in the servers'
#     directories
#  6. writes the PGXN zip (make dist), installs it with pgxnclient
#     (pgxn install ./tags-<version>.zip), creates the extension from it,
#     and uninstalls it: no file left
#
# Runs as root or through sudo; ends with "package-test: passed".
set -euo pipefail
cd "$(dirname "$0")/.."

PREVIOUS_COMMIT=${PREVIOUS_COMMIT:-427f674}

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
step() { printf '\n== %s\n' "$*"; }
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

# the check of step 3, run by pg_virtualenv in a cluster of its own:
# upgrade-inside OLD_VERSION NEW_DEB
if [ "${1:-}" = upgrade-inside ]; then
	old=$2 new=$3
	psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
	psql -At >/dev/null <<-'SQL'
		CREATE EXTENSION tags;
		CREATE TABLE articles (id bigint PRIMARY KEY, title text NOT NULL);
		SELECT tags_enable('articles');
		INSERT INTO articles SELECT g, 'article ' || g FROM generate_series(1, 200) g;
		SELECT count(*) FROM articles a,
		       LATERAL item_set_tags('articles', a.id,
		           ARRAY['Tag ' || a.id % 7, 'tag ' || a.id % 11, 'Zürich']);
		INSERT INTO posts (title, status) SELECT 'post ' || g, 'published' FROM generate_series(1, 50) g;
		SELECT count(*) FROM posts p, LATERAL post_set_tags(p.id, ARRAY['Tag ' || p.id % 5, 'Zürich']);
		DELETE FROM articles WHERE id % 10 = 0;
	SQL
	# what the old version answers
	snapshot() {
		psql -At <<-'SQL'
			SELECT extversion FROM pg_extension WHERE extname = 'tags';
			SELECT string_agg(format('%s %s %s', slug, name, post_count), ', ' ORDER BY slug) FROM tag_counts();
			SELECT string_agg(format('%s %s %s', slug, name, item_count), ', ' ORDER BY slug) FROM tag_item_counts('articles');
			SELECT string_agg(id::text, ',' ORDER BY id) FROM items_by_tag(NULL::articles, 'zurich', 1, 100);
			SELECT count(*) FROM articles_tags;
			SELECT md5(string_agg(format('%s %s %s %s', item_id, tag_id, position, item_visible), ',' ORDER BY item_id, tag_id)) FROM articles_tags;
			SELECT md5(string_agg(format('%s %s %s', post_id, tag_id, position), ',' ORDER BY post_id, tag_id)) FROM post_tags;
		SQL
	}
	before=$(snapshot)
	[ "$(head -n 1 <<<"$before")" = "$old" ] ||
		fail "the previous package made the extension at $(head -n 1 <<<"$before"), not $old"
	echo "at $(head -n 1 <<<"$before"): $(sed -n 5p <<<"$before") associations, $(sed -n 2p <<<"$before" | tr ',' '\n' | wc -l) tags"
	echo "installing $new over it"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$new" >/dev/null
	dpkg-query -W -f='  ${Package} ${Version}\n' 'postgresql-*-tags'
	psql -c 'ALTER EXTENSION tags UPDATE'
	after=$(snapshot)
	[ "$(head -n 1 <<<"$after")" = "$(scripts/extension-version.sh)" ] ||
		fail "the extension is at $(head -n 1 <<<"$after") after ALTER EXTENSION tags UPDATE"
	[ "$(tail -n +2 <<<"$after")" = "$(tail -n +2 <<<"$before")" ] ||
		fail "the counts, pages or associations differ after the update: $(diff <(echo "$before") <(echo "$after"))"
	# and the new version works on the data: a tenant target, a context
	psql -At <<-'SQL' >/dev/null
		CREATE TABLE notes (account_id int NOT NULL, id int NOT NULL, PRIMARY KEY (account_id, id));
		SELECT tags_enable('notes', tenant_column => 'account_id', contexts => ARRAY['topics']);
		INSERT INTO notes VALUES (1, 1), (2, 1);
		SELECT item_set_tags('notes', 1, ARRAY['Zürich'], tenant => 1, context => 'topics');
		SELECT item_set_tags('articles', 1, ARRAY['after the update']);
	SQL
	[ "$(psql -At -c "SELECT count(*) FROM tags_search('zur', target => 'notes', tenant => 2)")" = 0 ] ||
		fail "tenant 2 sees tenant 1's tag after the update"
	echo "updated to $(head -n 1 <<<"$after"): the same counts, page and associations as before; a tenant target with a context works"
	exit 0
fi

# the PostgreSQL versions the package is built for: those of
# debian/pgversions that postgresql-common supports (Debian 12: 15)
scripts/apt-install.sh package-test postgresql-server-dev-all lintian pgxnclient
versions=$(pg_buildext supported-versions)
[ -n "$versions" ] || fail "no PostgreSQL version postgresql-common supports is in debian/pgversions"

# every file of tags in the servers' directories (none after a removal):
# whatever is named tags.*, tags--* or tags there
installed_files() {
	local v pgc
	for v in $versions; do
		pgc=/usr/lib/postgresql/$v/bin/pg_config
		find "$($pgc --pkglibdir)" "$($pgc --pkglibdir)/bitcode" "$($pgc --sharedir)/extension" \
			-maxdepth 1 \( -name 'tags.*' -o -name 'tags--*' -o -name tags \) 2>/dev/null || true
	done
}
# the files (not directories) of an installed package
pkg_files() {
	dpkg -L "$1" | while read -r f; do [ ! -f "$f" ] || echo "$f"; done
}

git cat-file -e "$PREVIOUS_COMMIT^{commit}" 2>/dev/null ||
	fail "commit $PREVIOUS_COMMIT (the previous version's tree) is not in this clone: a shallow clone? (git fetch --unshallow)"
version=$(dpkg-parsechangelog -S Version)
previous=$(dpkg-parsechangelog -S Version -o 1 -c 1)
# the commit is the version of debian/changelog's entry before this one
[ "$(git show "$PREVIOUS_COMMIT:tags.control" | sed -n "s/^default_version = '\(.*\)'/\1/p")" = "${previous%-*}" ] ||
	fail "commit $PREVIOUS_COMMIT is not version ${previous%-*}, debian/changelog's previous entry: set PREVIOUS_COMMIT"

step "1. removing any install of tags"
for pkg in $(dpkg-query -W -f='${Package} ${db:Status-Status}\n' 'postgresql-*-tags' 2>/dev/null |
		awk '$2 == "installed" { print $1 }'); do
	echo "removing the package $pkg"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq "$pkg" >/dev/null
done
left=$(installed_files)
if [ -n "$left" ]; then
	echo "removing the files of a make install: $(wc -l <<<"$left")"
	xargs $sudo rm -rf <<<"$left"
fi
[ -z "$(installed_files)" ] || fail "files of tags are still installed: $(installed_files)"
echo "no file of tags is installed (PostgreSQL $versions)"

step "2. building the packages"
mkdir -p build
# this tree's; the suites run on the installed package in step 4, so the
# build leaves out its own run of them (DEB_BUILD_OPTIONS=nocheck), unless
# PACKAGE_TEST_BUILD_OPTIONS says otherwise
DEB_BUILD_OPTIONS=${PACKAGE_TEST_BUILD_OPTIONS-nocheck} scripts/deb.sh > build/deb-build.log 2>&1 ||
	{ tail -n 40 build/deb-build.log; fail "make deb (log: build/deb-build.log)"; }
# the previous version's: its tree, this debian/ with the changelog from
# its entry on; its Makefile builds only in its own directory (pgxs_loop)
prevdir=build/deb-previous/tags-${previous%-*}
rm -rf build/deb-previous
mkdir -p "$prevdir"
git archive "$PREVIOUS_COMMIT" | tar -xf - -C "$prevdir"
cp -r debian "$prevdir/"
sed -n "/^tags ($previous)/,\$p" debian/changelog > "$prevdir/debian/changelog"
sed -i 's/--with pgxs$/--with pgxs_loop/' "$prevdir/debian/rules"
grep -q -- '--with pgxs_loop$' "$prevdir/debian/rules" ||
	fail "debian/rules has no 'dh \$@ --with pgxs' line to build the previous tree with pgxs_loop"
(cd "$prevdir" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) > build/deb-previous.log 2>&1 ||
	{ tail -n 40 build/deb-previous.log; fail "the package of $PREVIOUS_COMMIT (log: build/deb-previous.log)"; }
rm -rf "$prevdir"
debs=() olddebs=()
for v in $versions; do
	debs+=("$PWD/build/deb/postgresql-$v-tags_${version}_$(dpkg --print-architecture).deb")
	olddebs+=("$PWD/build/deb-previous/postgresql-$v-tags_${previous}_$(dpkg --print-architecture).deb")
done
for deb in "${olddebs[@]}" "${debs[@]}"; do
	[ -f "$deb" ] || fail "no $deb"
	printf '%s: %s bytes, Installed-Size %s KiB, %s files\n' "$(basename "$deb")" "$(stat -c %s "$deb")" \
		"$(dpkg-deb -f "$deb" Installed-Size)" "$(dpkg-deb -c "$deb" | grep -vc '^d')"
done
echo "lintian:"
lintian_out=$(lintian --fail-on none "${debs[@]}" 2>&1 | grep -v '^running with root privileges' || true)
echo "${lintian_out:-(nothing)}" | sed 's/^/  /'
! grep -q '^E:' <<<"$lintian_out" || fail "lintian reports errors"

step "3. installing $previous, then $version over it, and updating the extension"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${olddebs[@]}" >/dev/null
dpkg-query -W -f='installed ${Package} ${Version}\n' 'postgresql-*-tags'
i=0
for v in $versions; do
	pg_virtualenv -t -v "$v" "$0" upgrade-inside "${previous%-*}" "${debs[i]}" || fail "the upgrade on PostgreSQL $v"
	i=$((i + 1))
done

step "4. the regression and isolation suites against the installed package"
for deb in "${debs[@]}"; do
	pkg=$(dpkg-deb -f "$deb" Package)
	echo "$pkg $(dpkg-query -W -f='${Version}' "$pkg"): $(pkg_files "$pkg" | wc -l) files"
	pkg_files "$pkg" | sed 's/^/  /' 
done
suite_log=build/package-installcheck.log
debian/tests/installcheck > "$suite_log" 2>&1 || { cat "$suite_log"; fail "the suites against the package"; }
read -r passed failed < <(scripts/regress-counts.sh "$suite_log")
# every test of sql/ and specs/ ran
tests=$(find sql specs -maxdepth 1 \( -name '*.sql' -o -name '*.spec' \) | wc -l)
echo "suites on the installed package: $passed passed, $failed failed of $tests (log: $suite_log)"
if [ "$failed" -ne 0 ] || [ "$passed" -ne "$tests" ]; then fail "the suites against the package"; fi

step "5. removing the package"
for deb in "${debs[@]}"; do
	pkg=$(dpkg-deb -f "$deb" Package)
	n=$(pkg_files "$pkg" | wc -l)
	DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq "$pkg" >/dev/null
	echo "$pkg removed ($n files)"
done
[ -z "$(installed_files)" ] || fail "files of tags are still installed: $(installed_files)"
echo "no file of tags is left"

step "6. the PGXN zip, installed with pgxnclient"
scripts/dist.sh
zip=tags-$(scripts/extension-version.sh).0.zip
answer=build/pgxn-answer.txt
for v in $versions; do
	# for this server (pgxn's default pg_config is the newest one's)
	pgxn install ${sudo:+--sudo} --pg_config "/usr/lib/postgresql/$v/bin/pg_config" "./$zip" \
		> build/pgxn-install.log 2>&1 ||
		{ tail -n 40 build/pgxn-install.log; fail "pgxn install ./$zip (log: build/pgxn-install.log)"; }
	echo "pgxn install ./$zip, PostgreSQL $v: $(installed_files | wc -l) files installed"
	rm -f "$answer"
	pg_virtualenv -t -v "$v" sh -c "psql -X -q -At -v ON_ERROR_STOP=1 \
		-c 'CREATE EXTENSION tags' \
		-c \"SELECT extversion FROM pg_extension WHERE extname = 'tags'\" \
		-c \"SELECT string_agg(slug, ' ') FROM tags_get_or_create(ARRAY['Zürich', 'PostgreSQL'])\" \
		> $answer" >/dev/null || fail "CREATE EXTENSION tags after pgxn install, PostgreSQL $v"
	[ "$(cat "$answer")" = "$(printf '%s\n%s' "$(scripts/extension-version.sh)" 'zurich postgresql')" ] ||
		fail "after pgxn install, PostgreSQL $v answers: $(cat "$answer")"
	echo "PostgreSQL $v: CREATE EXTENSION tags: version $(head -n 1 "$answer"), tags_get_or_create(ARRAY['Zürich', 'PostgreSQL']): $(tail -n 1 "$answer")"
	pgxn uninstall ${sudo:+--sudo} --pg_config "/usr/lib/postgresql/$v/bin/pg_config" "./$zip" \
		> build/pgxn-uninstall.log 2>&1 ||
		{ tail -n 40 build/pgxn-uninstall.log; fail "pgxn uninstall ./$zip"; }
done
[ -z "$(installed_files)" ] || fail "pgxn uninstall left: $(installed_files)"
echo "pgxn uninstall ./$zip: no file left"

echo
echo "package-test: passed"
