#!/usr/bin/env bash
# bulk_insert.sh: bulk writes through plain SQL, as ORMs and migration
# scripts make them, against get-or-create.  Runs where bench/inner.sh runs
# (in the cluster of bench/run.sh).
#
# The starting table (database bench_bulk_tpl): 20 000 tags of real names,
# made by tags_get_or_create, vacuumed and analyzed.  Two sets of 20 000
# other real names, X and Y.  Each repetition (BULK_REPS, 3) times, each in a
# fresh copy of the starting table (createdb -T) and its first statement
# after a warm-up in the same session,
#     INSERT INTO ext.tags (name) SELECT word FROM words.names WHERE i BETWEEN ...
#     SELECT count(*) FROM ext.tags_get_or_create(ARRAY(SELECT word FROM words.names WHERE i BETWEEN ...))
# the INSERT with X and get-or-create with Y, then the other way round in the
# next repetition.  Reported: the median time of each; goal INSERT ÷
# get-or-create <= 2.5.  Checked: both make one tag a name, named
# tag_normalize(word), slugged tag_slugify(word) or that followed by -N, and
# the two make the same names and the same slugs from a set (which of two new
# names with one base slug gets the base is not fixed, so not compared).
#
# Writes the report to $R/bulk_insert.txt and its numbers, as shell
# assignments, to $R/bulk_insert.env (read by inner.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

B=bench
R=${BENCH_RESULTS:-bench/results}
REPS=${BULK_REPS:-3}
N=${BULK_NAMES:-20000}
TPL=bench_bulk_tpl
DB=bench_bulk
WORDS_DB=bench_words
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$R"
OUT=$R/bulk_insert.txt
ENV=$R/bulk_insert.env
t0=$(date +%s)

psqlq() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== bulk SQL writes: starting table"
$B/words.sh "$WORDS_DB"
PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$TPL"
createdb -T "$WORDS_DB" "$TPL"
# only the names used are kept, so that a copy is small
psqlq -d "$TPL" >/dev/null <<-SQL
	DELETE FROM words.names WHERE i > 3 * $N;
	VACUUM FULL words.names;
	SELECT count(*) FROM ext.tags_get_or_create(ARRAY(SELECT word FROM words.names WHERE i <= $N ORDER BY i));
	VACUUM ANALYZE;
	CHECKPOINT;
SQL

# set X or Y: its first and last name number
first() { if [ "$1" = X ]; then echo $((N + 1)); else echo $((2 * N + 1)); fi; }

# timed HOW SET: one statement in a fresh copy of the starting table; prints
# its time in ms; leaves the set's tags, as "i name slug" (tabs), in $WORK/HOW.SET
# and the rule check's count of bad tags in $WORK/HOW.SET.bad
timed() {
	local how=$1 set=$2 a b stmt out
	a=$(first "$set"); b=$((a + N - 1))
	if [ "$how" = insert ]; then
		stmt="INSERT INTO ext.tags (name) SELECT word FROM words.names WHERE i BETWEEN $a AND $b ORDER BY i;"
	else
		stmt="SELECT count(*) FROM ext.tags_get_or_create(ARRAY(SELECT word FROM words.names WHERE i BETWEEN $a AND $b ORDER BY i));"
	fi
	PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$DB"
	createdb -T "$TPL" "$DB"
	# the warm-up loads the library and reads the names and the tags
	out=$(psqlq -d "$DB" -At <<-SQL
		SELECT ext.tag_slugify('warm up');
		SELECT count(*) FROM words.names WHERE i BETWEEN $a AND $b;
		SELECT count(*) FROM ext.tags;
		\timing on
		$stmt
		\timing off
		\copy (SELECT w.i, t.name, t.slug FROM words.names w LEFT JOIN ext.tags t ON t.name = ext.tag_normalize(w.word) WHERE w.i BETWEEN $a AND $b ORDER BY w.i) TO '$WORK/$how.$set'
		SELECT count(*) FILTER (WHERE t.slug IS NULL
		                         OR NOT (t.slug = ext.tag_slugify(w.word)
		                                 OR t.slug ~ ('^' || ext.tag_slugify(w.word) || '-[1-9][0-9]*$')))
		       + abs((SELECT count(*) FROM ext.tags) - 2 * $N) AS bad
		FROM words.names w LEFT JOIN ext.tags t ON t.name = ext.tag_normalize(w.word)
		WHERE w.i BETWEEN $a AND $b;
	SQL
	)
	tail -1 <<<"$out" > "$WORK/$how.$set.bad"
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out"
}

echo "== bulk SQL writes: $N names, $REPS repetitions"
: > "$WORK/times"
for r in $(seq 1 "$REPS"); do
	if [ $((r % 2)) = 1 ]; then si=X sg=Y; else si=Y sg=X; fi
	ti=$(timed insert $si)
	tg=$(timed get_or_create $sg)
	printf '  repetition %d: INSERT (%s) %10.1f ms   get_or_create (%s) %10.1f ms\n' "$r" "$si" "$ti" "$sg" "$tg"
	echo "insert $ti" >> "$WORK/times"
	echo "goc $tg" >> "$WORK/times"
done
PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$DB"

# the check: rules met in every run, and the same tags from both ways
bad=$(cat "$WORK"/*.bad | awk '{ s += $1 } END { print s + 0 }')
differ=0 moved=0
: > "$R/bulk_insert.diff"
for set in X Y; do
	i=$WORK/insert.$set g=$WORK/get_or_create.$set
	if [ -f "$i" ] && [ -f "$g" ]; then
		# the same name for every word, the same slugs in all
		d=$(diff <(cut -f 1,2 "$i") <(cut -f 1,2 "$g") | grep -c '^<' || true)
		differ=$((differ + d))
		d=$(diff <(cut -f 3 "$i" | sort) <(cut -f 3 "$g" | sort) | grep -c '^<' || true)
		differ=$((differ + d))
		# which of two new names of one base gets the base is not fixed
		diff "$i" "$g" >> "$R/bulk_insert.diff" || true
		d=$(diff "$i" "$g" | grep -c '^<' || true)
		moved=$((moved + d))
	fi
done
compared=$( [ "$REPS" -ge 2 ] && echo "both sets" || echo "no set (one repetition)")

median() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/times" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
range() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/times" | sort -n | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.0f-%.0f ms", a, b }'; }
ins=$(median insert) goc=$(median goc)
ratio=$(awk -v a="$ins" -v b="$goc" 'BEGIN { if (b == 0) print "nan"; else printf "%.4f", a / b }')
check=ok
[ "$bad" = 0 ] && [ "$differ" = 0 ] || check="failed"
{
	echo "bulk SQL writes: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; $N new names onto $N tags, $REPS repetitions"
	echo "INSERT INTO tags (name) SELECT ...: median $ins ms ($(range insert))"
	echo "tags_get_or_create(ARRAY(...)):     median $goc ms ($(range goc))"
	echo "ratio $ratio; check $check: $bad tags breaking the rules, $differ names or slugs made by one way only ($compared compared)"
	echo "  ($moved names got another slug of their base: which of two new names with one base gets it is not fixed)"
} | tee "$OUT"
cat > "$ENV" <<-EOF
	BULK_INSERT=$ins
	BULK_GOC=$goc
	BULK_RATIO=$ratio
	BULK_CHECK=$check
	BULK_SECS=$(( $(date +%s) - t0 ))
EOF
echo "bulk SQL writes took $(( $(date +%s) - t0 )) s"
