#!/usr/bin/env bash
# scripts/apt-install.sh WHO PACKAGE...: installs those of the Debian
# packages that dpkg does not list as installed, through apt-get (as root,
# or through sudo), without their recommends; WHO names the caller in the
# line it prints.  Nothing to do, nothing printed.
set -euo pipefail

who=$1
shift
missing=()
for pkg in "$@"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$pkg")
done
[ ${#missing[@]} -gt 0 ] || exit 0
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "$who: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
