#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that building and testing tags need,
# when they are missing: the server headers of the newest installed
# PostgreSQL, the ICU headers, and Perl's IPC::Run for TAP tests.
# Runs apt-get as root, or through sudo.
set -euo pipefail

server=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1)
if [ -z "$server" ]; then
	echo "install-deps: no PostgreSQL server found in /usr/lib/postgresql; install one (apt-get install postgresql)" >&2
	exit 1
fi
version=$(basename "$(dirname "$(dirname "$server")")")

wanted=(build-essential "postgresql-server-dev-$version" postgresql-common libicu-dev libipc-run-perl)
missing=()
for pkg in "${wanted[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
