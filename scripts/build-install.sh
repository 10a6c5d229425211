#!/usr/bin/env bash
# Builds the extension with warnings as errors and installs it into the
# server (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
make -s PG_CFLAGS='-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers -Werror'
$sudo make -s install >/dev/null
