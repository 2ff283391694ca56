#!/usr/bin/env bash
# Installs the Debian packages the test suites drive for real: Dovecot (IMAP, POP3, submission),
# Chromium (web pages via playwright-core) and Redis. Needs root; does nothing when all are present.
set -euo pipefail

# better-sqlite3 (@mailplug/outbox) compiles on install; node-gyp would download the Node headers,
# which this network cannot reach. Debian's nodejs ships them in /usr/include/node: seed node-gyp's
# header cache with them.
if [ -f /usr/include/node/node_api.h ] && command -v node >/dev/null 2>&1; then
  gyp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/node-gyp/$(node -p process.versions.node)"
  if [ ! -e "$gyp_dir/include/node/node_api.h" ]; then
    mkdir -p "$gyp_dir/include"
    ln -sfn /usr/include/node "$gyp_dir/include/node"
    echo 11 > "$gyp_dir/installVersion"
  fi
fi

missing=()
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd dovecot-pop3d dovecot-submissiond)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ] || missing+=(tinyproxy)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present"
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "!!! Missing Debian packages: ${missing[*]}" >&2
  echo "!!! Install them (as root): apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The tests start their own Dovecot, Redis and tinyproxy on free loopback ports. Packages installed
# here must not start their system services, and services the machine already runs (a developer's
# own mail server) are never stopped, restarted or killed: policy-rc.d only blocks starts during
# this install, and only when no policy of the machine's own is in place.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
