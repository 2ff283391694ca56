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
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "!!! Missing Debian packages: ${missing[*]}" >&2
  echo "!!! Run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged services; the tests start their own instances on free ports.
for svc in dovecot redis-server; do
  (command -v service >/dev/null && service "$svc" stop >/dev/null 2>&1) || true
done
pkill -x dovecot 2>/dev/null || true
echo "installed: ${missing[*]}"
