#!/usr/bin/env bash
# long_lived.sh: a connection that lives long, as a pool keeps one.  Runs
# where bench/inner.sh runs (in the cluster of bench/run.sh), in a database
# of its own (bench_long), autovacuum off for the extension's tables.
#
# One pgbench client (one connection for the whole run) runs
# workloads/long_lived.sql: LONG_TAGS (100 000) tags made from real names,
# one call a step, each with 12 existing names and one new, on post n
# (post_set_tags, post_set_tags, post_add_tags, tags_get_or_create in turn),
# about 975 000 post_tags at the end; then LONG_LOOKUPS (5 000)
# tags_get_or_create of 5 existing names.  A fresh connection then runs the
# same lookups.  Reported, from pgbench's per-transaction log:
#   - the mean cost of a call in an early window (steps 1 001 to 6 000, after
#     the calls that made the plans) and in the late one (the last 5 000
#     steps), the same mix of calls and of names in both; goal late ÷ early
#     <= 1.5;
#   - the median cost of a lookup (the first 100 left out) in the old
#     connection and in the fresh one; goal old ÷ fresh <= 1.2.  The median,
#     as a lookup costs a fraction of a millisecond, and a few calls delayed
#     by the machine's other work would move the mean by more than the goal
#     allows.
# The growth stops at LONG_CAP seconds (900) if it has not finished: the
# late window is then the last 5 000 steps reached, and the report says how
# many tags that was.
#
# Writes the report to $R/long_lived.txt and its numbers, as shell
# assignments, to $R/long_lived.env (read by inner.sh).
#
# long_lived.sh tenant: the same on a tenant target (database
# bench_long_tenant, workloads/long_lived_tenant.sql): app.articles, key
# (tenant_id, id), its items spread over LONG_TENANTS (100) tenants, item n
# in tenant 1 + (n - 1) % LONG_TENANTS, each tenant with its own names and
# vocabulary (tenant_tags), autovacuum off on every table of the target.
# Step n is the same call as above in the tenant of item n, with 12
# existing names of the tenant and one new (item_add_tags on the tenant's
# item before); the tables reach the same sizes.  The reads, in turn:
# tags_get_or_create of 5 existing names of a tenant, the tenant's
# tag_item_counts(10), the first page of one of its tags; the goal old ÷
# fresh <= 1.2 for each kind.  Writes long_lived_tenant.txt, .log, .env
# (variables LONGT_*).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-posts}

B=bench
R=${BENCH_RESULTS:-bench/results}
TAGS=${LONG_TAGS:-100000}
LOOKUPS=${LONG_LOOKUPS:-5000}
CAP=${LONG_CAP:-900}
WIN=${LONG_WINDOW:-5000}
SKIP=1000        # growth steps left out before the early window
LSKIP=100        # lookups left out in each connection
K=12             # existing names in a growth call (and one new)
TENANTS=1       # tenants of the target (tenant mode), each with its own names
WORDS_DB=bench_words
if [ "$MODE" = tenant ]; then
	TENANTS=${LONG_TENANTS:-100}
	DB=bench_long_tenant
	SCRIPT=$(pwd)/$B/workloads/long_lived_tenant.sql
	NAME=long_lived_tenant
	V=LONGT          # the prefix of the numbers in the .env
	KINDS="'lookup', 'counts', 'page'"
else
	DB=bench_long
	SCRIPT=$(pwd)/$B/workloads/long_lived.sql
	NAME=long_lived
	V=LONG
	KINDS="'lookup'"
fi
# each step makes one tag, and the first step of each tenant K more
STEPS=$((TAGS - K * TENANTS))
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$R"
RAW=$R/$NAME.log
OUT=$R/$NAME.txt
ENV=$R/$NAME.env
: > "$RAW"
t0=$(date +%s)

psqlq() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

if [ $((SKIP + 2 * WIN)) -gt "$STEPS" ]; then
	echo "LONG_TAGS must be at least $((SKIP + 2 * WIN + K)) (LONG_WINDOW $WIN)" >&2
	exit 1
fi
if [ $((WIN % 4)) != 0 ] || [ "$LOOKUPS" -le "$LSKIP" ]; then
	echo "LONG_WINDOW must be a multiple of 4 and LONG_LOOKUPS over $LSKIP" >&2
	exit 1
fi
if [ "$TENANTS" -gt "$SKIP" ]; then
	# the early window starts after every tenant's first step
	echo "LONG_TENANTS must be at most $SKIP" >&2
	exit 1
fi

echo "== long-lived connection ($MODE): words"
s=$(date +%s)
$B/words.sh "$WORDS_DB"
PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$DB"
createdb -T "$WORDS_DB" "$DB"
if [ "$MODE" = tenant ]; then
	# the items exist (published, analyzed) before the connection starts;
	# the target's other tables are empty and are never vacuumed nor analyzed
	psqlq >/dev/null <<-SQL
		CREATE SCHEMA app;
		CREATE TABLE app.articles (
		    tenant_id       integer NOT NULL,
		    id              bigint NOT NULL,
		    title           text NOT NULL,
		    status          text NOT NULL,
		    published_at    timestamptz NOT NULL,
		    deleted_at      timestamptz,
		    PRIMARY KEY (tenant_id, id)
		);
		INSERT INTO app.articles
		SELECT 1 + (i - 1) % $TENANTS, i, 'article ' || i, 'published',
		       timestamptz '2015-01-01 00:00+00' + i * interval '5 minutes', NULL
		FROM generate_series(1, $STEPS) i;
		VACUUM ANALYZE app.articles;
		SELECT ext.tags_enable('app.articles', 'status = ''published'' AND deleted_at IS NULL',
		                       'published_at', 'tenant_id');
		DO \$\$
		DECLARE
		    t regclass;
		BEGIN
		    FOR t IN SELECT c.oid FROM pg_class c
		             WHERE c.relnamespace = 'app'::regnamespace AND c.relkind = 'r'
		    LOOP
		        EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', t);
		    END LOOP;
		END
		\$\$;
		CHECKPOINT;
	SQL
else
# the posts exist (published, analyzed) before the connection starts; the
# extension's tables are empty and are never vacuumed nor analyzed
psqlq >/dev/null <<-SQL
	INSERT INTO ext.posts (id, title, status)
	SELECT i, 'post ' || i, 'published' FROM generate_series(1, $STEPS) i;
	SELECT setval(pg_get_serial_sequence('ext.posts', 'id'), $STEPS);
	VACUUM ANALYZE ext.posts;
	-- the guard of 1.2 refuses storage parameters on the extension's tables
	-- (pg_dump would lose them): a throwaway cluster may bypass it
	ALTER EVENT TRIGGER tags_guard_builtin_tables DISABLE;
	DO \$\$
	DECLARE
	    t regclass;
	BEGIN
	    FOR t IN SELECT c.oid FROM pg_class c
	             WHERE c.relnamespace = 'ext'::regnamespace AND c.relkind = 'r'
	    LOOP
	        EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', t);
	    END LOOP;
	END
	\$\$;
	ALTER EVENT TRIGGER tags_guard_builtin_tables ENABLE;
	CHECKPOINT;
SQL
fi
echo "words and items ready in $(( $(date +%s) - s )) s"

# run NAME FIRST_STEP TRANSACTIONS NTAGS: one pgbench client; its log of
# latencies in $WORK/lat.NAME as "run step ms" (pgbench numbers a client's
# transactions from 1: its k-th is step FIRST_STEP + k)
run() {
	local name=$1 first=$2 tx=$3 ntags=$4 out rc=0
	out=$(cd "$WORK" && PGDATABASE=$DB pgbench -n -c 1 -t "$tx" -P 60 \
		--log --log-prefix="$name" -f "$SCRIPT" \
		-D n="$first" -D steps="$STEPS" -D k="$K" -D stop=0 -D tenants="$TENANTS" \
		-D deadline="$(( $(date +%s) + CAP ))" -D T="$ntags" 2>&1) || rc=$?
	{ echo "=== $name: $tx transactions from step $((first + 1)), exit $rc"; echo "$out"; } >> "$RAW"
	awk -v run="$name" -v first="$first" '{ printf "%s %d %.3f\n", run, first + $2, $3 / 1000 }' \
		"$WORK/$name".* > "$WORK/lat.$name"
	return "$rc"
}

echo "== long-lived connection ($MODE): growth to $TAGS tags (cap $CAP s), then $LOOKUPS lookups"
s=$(date +%s)
fail=0   # or "pgbench" when a pgbench run failed
run old 0 $((STEPS + LOOKUPS)) 0 || fail=pgbench
grow_secs=$(( $(date +%s) - s ))
if [ "$MODE" = tenant ]; then
	read -r NT NPT <<<"$(psqlq -At -F ' ' -c "SELECT (SELECT count(*) FROM app.tenant_tags), (SELECT count(*) FROM app.articles_tags)")"
else
	read -r NT NPT <<<"$(psqlq -At -F ' ' -c "SELECT (SELECT count(*) FROM ext.tags), (SELECT count(*) FROM ext.post_tags)")"
fi
REACHED=$((NT - K * TENANTS))
if [ "$REACHED" -lt "$TENANTS" ]; then
	echo "the growth made $NT tags" >&2
	exit 1
fi
# the names the lookups draw from: the tags made (of a tenant: those every
# tenant has)
s=$(date +%s)
run fresh "$STEPS" "$LOOKUPS" $((REACHED / TENANTS + K)) || fail=pgbench
fresh_secs=$(( $(date +%s) - s ))

# the windows: both start on a step n with n % 4 = 1, so that both hold the
# same calls
E0=$((SKIP + 1)); E1=$((SKIP + WIN))
L1=$((REACHED - REACHED % 4)); L0=$((L1 - WIN + 1))
capped=no
[ "$REACHED" -ge "$STEPS" ] || capped=yes
stats=$(psqlq -At -F ' ' <<-SQL
	CREATE TEMP TABLE lat (run text, n integer, ms float8);
	\copy lat FROM '$WORK/lat.old' (DELIMITER ' ')
	\copy lat FROM '$WORK/lat.fresh' (DELIMITER ' ')
	WITH w AS (
	    SELECT CASE WHEN run = 'old' AND n BETWEEN $E0 AND $E1 THEN 'early'
	                WHEN run = 'old' AND n BETWEEN $L0 AND $L1 AND $L0 > $E1 THEN 'late'
	                WHEN n > $STEPS + $LSKIP THEN run END AS win,
	           CASE WHEN n > $STEPS THEN (ARRAY[$KINDS])[(n - $STEPS) % cardinality(ARRAY[$KINDS]) + 1]
	                ELSE (ARRAY['set', 'set', 'add', 'get_or_create'])[n % 4 + 1] END AS kind,
	           ms
	    FROM lat)
	SELECT win, coalesce(kind, 'all'), count(*), round(avg(ms)::numeric, 4),
	       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 4),
	       round(max(ms)::numeric, 2)
	FROM w WHERE win IS NOT NULL
	GROUP BY GROUPING SETS ((win), (win, kind))
	ORDER BY 1, 2;
SQL
)
# stat WIN KIND COLUMN: the mean (4) or median (5) of that window and kind,
# or nan
stat() { awk -v w="$1" -v k="$2" -v c="$3" '$1 == w && $2 == k { print $c; f = 1 } END { if (!f) print "nan" }' <<<"$stats"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.4f", a / b }'; }

# tags after step n: n + OFF
OFF=$((K * TENANTS))
{
	echo "long-lived connection$( [ "$MODE" = posts ] || echo " on a tenant target, $TENANTS tenants"): $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
	echo "growth: $REACHED of $STEPS steps in $grow_secs s (with $LOOKUPS lookups)$( [ $capped = no ] || echo ", stopped at the cap of $CAP s")"
	echo "        $NT tags, $NPT associations; fresh connection's lookups $fresh_secs s"
	echo "windows: early steps $E0-$E1 (about $((E0 + OFF))-$((E1 + OFF)) tags), late steps $L0-$L1 (about $((L0 + OFF))-$((L1 + OFF)) tags)"
	echo "         lookups $((LSKIP + 1))-$LOOKUPS of each connection$( [ "$MODE" = posts ] || echo " (get_or_create, counts, page in turn)")"
	echo
	{ echo "window kind calls mean_ms median_ms max_ms"; echo "$stats"; } | column -t
} | tee "$OUT"

early=$(stat early all 4) late=$(stat late all 4)
old=$(stat old lookup 5) fresh=$(stat fresh lookup 5)
cat > "$ENV" <<-EOF
	${V}_EARLY=$early
	${V}_LATE=$late
	${V}_RATIO=$(ratio "$late" "$early")
	${V}_EARLY_TAGS="$(( (E0 + OFF) / 1000 ))k-$(( (E1 + OFF) / 1000 ))k"
	${V}_LATE_TAGS="$(( (L0 + OFF) / 1000 ))k-$(( (L1 + OFF) / 1000 ))k"
	${V}_CAPPED=$capped
	${V}_NTAGS=$NT
	${V}_OLD=$old
	${V}_FRESH=$fresh
	${V}_LOOKUP_RATIO=$(ratio "$old" "$fresh")
	${V}_FAIL=$fail
	${V}_SECS=$(( $(date +%s) - t0 ))
EOF
if [ "$MODE" = tenant ]; then
	for k in counts page; do
		old=$(stat old "$k" 5) fresh=$(stat fresh "$k" 5)
		cat >> "$ENV" <<-EOF
			${V}_${k^^}_OLD=$old
			${V}_${k^^}_FRESH=$fresh
			${V}_${k^^}_RATIO=$(ratio "$old" "$fresh")
		EOF
	done
fi
echo "long-lived connection took $(( $(date +%s) - t0 )) s"
