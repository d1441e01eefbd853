#!/usr/bin/env bash
# Runs a command with a real desktop notification service (dunst) on the session bus
# and the X display, as a desktop session has. Writes the bus address to the file
# named by HERON_BUS_FILE (when set), so a test outside the bus can ask dunst what it
# showed (`dunstctl history`). Use it inside a private bus:
#   dbus-run-session -- scripts/with-notifications.sh COMMAND...
set -euo pipefail
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] || [ -z "${DISPLAY:-}" ]; then
  echo "with-notifications.sh: needs a session bus and an X display" >&2
  exit 2
fi
config=$(mktemp /tmp/heron-dunstrc.XXXXXX)
trap 'rm -f "$config"; kill "$dunst" 2>/dev/null || true' EXIT
# Notifications stay until the test reads them.
printf '[global]\n    idle_threshold = 0\n[urgency_normal]\n    timeout = 0\n' >"$config"
dunst -config "$config" >/dev/null 2>&1 &
dunst=$!
for _ in $(seq 1 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null |
      grep -q 'boolean true'; then
    break
  fi
  sleep 0.05
done
if [ -n "${HERON_BUS_FILE:-}" ]; then
  printf '%s' "$DBUS_SESSION_BUS_ADDRESS" >"$HERON_BUS_FILE"
fi
"$@"
