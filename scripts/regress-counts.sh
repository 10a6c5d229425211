#!/usr/bin/env bash
# scripts/regress-counts.sh LOG: "PASSED FAILED", the tests pg_regress and
# pg_isolation_regress report in LOG: up to 15 "test name ... ok", from 16
# TAP lines, "ok 1 - name" and "not ok 2 - name"
set -euo pipefail
printf '%s %s\n' "$(grep -cE '\.\.\. ok|^ok +[0-9]+ ' "$1" || true)" \
	"$(grep -cE '\.\.\. (FAILED|failed)|^not ok +[0-9]+ ' "$1" || true)"
