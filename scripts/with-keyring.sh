#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service (gnome-keyring) on the session
# bus, as a desktop login would provide. Use it inside a private bus:
#   dbus-run-session -- scripts/with-keyring.sh cargo test
# The keyring lives in a throw-away XDG_DATA_HOME, so tests never touch a real one.
set -euo pipefail
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  echo "with-keyring.sh: no session bus; run it under dbus-run-session" >&2
  exit 2
fi
keyring_home=$(mktemp -d /tmp/heron-keyring.XXXXXX)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# An empty password creates and unlocks the login keyring non-interactively.
eval "$(echo '' | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
export GNOME_KEYRING_CONTROL
"$@"
