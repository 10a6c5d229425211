#!/usr/bin/env bash
# words.sh DB: makes database DB (unless it is there already) holding the
# extension in schema ext, its tables empty, and words.names, the real tag
# names of bench/words.sql.  The workloads of a long-lived connection and of
# bulk SQL writes copy it (createdb -T).  Runs where bench/inner.sh runs.
set -euo pipefail
cd "$(dirname "$0")/.."

db=${1:?usage: bench/words.sh DB}
lists="/usr/share/dict/american-english /usr/share/dict/french /usr/share/dict/ngerman /usr/share/hunspell/ru_RU.dic"

if [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 1 ]; then
	exit 0
fi
for f in $lists; do
	[ -r "$f" ] || { echo "$f not found (packages wamerican wfrench wngerman hunspell-ru)" >&2; exit 1; }
done
createdb -T template0 -E UTF8 --locale=C "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE SCHEMA ext; CREATE EXTENSION tags SCHEMA ext"
# hunspell's list: a count first, then word/flags
{
	cat /usr/share/dict/american-english /usr/share/dict/french /usr/share/dict/ngerman
	sed -e '1d' -e 's#/.*##' /usr/share/hunspell/ru_RU.dic
} | psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f bench/words.sql >/dev/null
