#!/usr/bin/env bash
# Install what the end-to-end and scale-out tests need and a fresh machine lacks: Debian's chromium and
# nginx, Node.js/npm, and the pinned Microsoft 365 Agents Playground (tests/e2e/playground). Safe to run again.
set -uo pipefail
cd "$(dirname "$0")/.."
need=()
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    # nginx's maintainer scripts would start a server on port 80; the tests start their own.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.kkr && chmod +x /usr/sbin/policy-rc.d.kkr
    [ -e /usr/sbin/policy-rc.d ] || cp /usr/sbin/policy-rc.d.kkr /usr/sbin/policy-rc.d
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } \
      || echo "warning: apt-get could not install ${need[*]}" >&2
    cmp -s /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.kkr && rm -f /usr/sbin/policy-rc.d
    rm -f /usr/sbin/policy-rc.d.kkr
  else
    echo "warning: missing ${need[*]} (install them as root: apt-get install ${need[*]})" >&2
  fi
fi
pg=tests/e2e/playground
stamp="$pg/node_modules/.installed-$(sha1sum "$pg/package-lock.json" | cut -c1-12)"
if command -v npm >/dev/null && [ ! -f "$stamp" ]; then
  (cd "$pg" && npm ci --no-audit --no-fund --silent) && touch "$stamp" \
    || echo "warning: npm could not install the Agents Playground" >&2
fi
exit 0
