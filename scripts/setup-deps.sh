#!/usr/bin/env bash
# Installs what Cairn builds against when it is missing: pkg-config and the -dev packages of libuv, libsodium
# and LMDB. Runs apt-get update first when the package lists are empty or more than a day old.
# Usage: scripts/setup-deps.sh        (as root, or with sudo available)
set -euo pipefail

declare -A provider=([libuv]=libuv1-dev [libsodium]=libsodium-dev [lmdb]=liblmdb-dev)
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
for module in libuv libsodium lmdb; do
    if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$module"; then
        missing+=("${provider[$module]}")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "cairn: missing ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "cairn: missing ${missing[*]} and no apt-get here; install libuv, libsodium, LMDB and pkg-config" >&2
    exit 1
fi
lists=/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -mtime -1 -print -quit 2>/dev/null)" ]; then
    echo "cairn: apt-get update (package lists are empty or stale)" >&2
    "${as_root[@]}" apt-get update -qq
fi
echo "cairn: installing ${missing[*]}" >&2
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
