#!/usr/bin/env bash
# Run a command inside a private D-Bus session with gnome-keyring's Secret
# Service unlocked (the keyring file lives in a temporary HOME-independent
# folder), so tests use a real system keyring without touching yours.
# Usage: scripts/with-keyring.sh COMMAND [ARGS...]
set -euo pipefail
if [ -z "${MQSCOPE_IN_KEYRING_SESSION:-}" ]; then
  export MQSCOPE_IN_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
# gnome-keyring keeps its files under $XDG_DATA_HOME/keyrings.
export XDG_DATA_HOME="$keyring_home"
# Unlocking with a password creates the default ("login") keyring, unlocked.
printf 'mqscope-ci' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
export MQSCOPE_REQUIRE_KEYRING=1
"$@"
