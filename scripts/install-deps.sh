#!/usr/bin/env bash
# Installs every system package Heron's build, demo and tests need, on Debian 12.
# Idempotent: a package that is already installed is skipped, so a warm machine pays
# only for the dpkg query. Services that packages would start (dovecot, postfix, slapd)
# are held back with a temporary policy-rc.d: the harness starts its own instances.
# glewlwyd (the OAuth 2.0 server) comes with dbconfig-no-thanks, so that apt does not
# pick the MySQL flavour of dbconfig: the harness gives glewlwyd an SQLite database.
set -euo pipefail

build_pkgs=(build-essential pkg-config file curl libssl-dev libwebkit2gtk-4.1-dev
  libxdo-dev libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev)
window_pkgs=(xvfb xauth x11-utils webkit2gtk-driver imagemagick dbus-daemon dbus-x11
  gnome-keyring libsecret-tools keyutils fonts-noto-cjk dunst xdotool python3-gi gir1.2-gtk-3.0)
server_pkgs=(dovecot-core dovecot-imapd dovecot-lmtpd postfix slapd ldap-utils dnsmasq-base
  radicale python3-bcrypt openssl glewlwyd dbconfig-no-thanks)
peer_pkgs=(isync notmuch time)

want=("${build_pkgs[@]}" "${window_pkgs[@]}" "${server_pkgs[@]}" "${peer_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "Heron needs these Debian packages and root to install them: ${missing[*]}" >&2
      exit 1
    fi
  else SUDO=; fi
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # postfix asks what kind of mail system this is; we configure our own instance.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
  # glewlwyd's "Personalized" setup wants a database server (it falls through to
  # PostgreSQL and fails without one); the harness writes its own config and SQLite.
  echo "glewlwyd glewlwyd/config_type select No configuration" | $SUDO debconf-set-selections
  hold_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    hold_created=1
  fi
  trap '[ $hold_created = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  # A stale package list (fresh image) makes installs fail with 404s: refresh once a day.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    $SUDO apt-get update -q
  fi
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# tauri-driver (WebDriver bridge for the real window) is a crates.io package.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "Installing tauri-driver from crates.io"
  cargo install tauri-driver --version '^2' --locked
fi
