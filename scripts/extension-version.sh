#!/usr/bin/env bash
# The extension's version: tags.control's default_version (X.Y), which every
# other file that says it must agree with (check-versions.sh)
set -euo pipefail
sed -n "s/^default_version = '\(.*\)'$/\1/p" "$(dirname "$0")/../tags.control"
