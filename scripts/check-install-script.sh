#!/usr/bin/env bash
# Checks the install scripts' hygiene: the \echo ... \quit guard first, no
# CREATE OR REPLACE, no IF NOT EXISTS (an extension script must never take
# over or skip an object someone else made).  Prints a pg_regress-style line.
set -uo pipefail
cd "$(dirname "$0")/.."

problems=()
for f in tags--*.sql; do
	first=$(grep -v -e '^--' -e '^/\*' -e '^[[:space:]]*$' "$f" | head -n 1)
	if [[ "$f" =~ ^tags--[0-9.]+--([0-9.]+)\.sql$ ]]; then
		guard="\\echo Use \"ALTER EXTENSION tags UPDATE TO '${BASH_REMATCH[1]}'\" to load this file. \\quit"
	else
		guard='\echo Use "CREATE EXTENSION tags" to load this file. \quit'
	fi
	[[ "$first" == "$guard" ]] ||
		problems+=("$f: the first statement is not the \\echo ... \\quit guard")
	grep -n -i -E 'CREATE[[:space:]]+OR[[:space:]]+REPLACE' "$f" && problems+=("$f: CREATE OR REPLACE")
	grep -n -i -E 'IF[[:space:]]+NOT[[:space:]]+EXISTS' "$f" && problems+=("$f: IF NOT EXISTS")
done
if [ ${#problems[@]} -eq 0 ]; then
	echo "test install_script               ... ok"
else
	printf '%s\n' "${problems[@]}"
	echo "test install_script               ... FAILED"
	exit 1
fi
