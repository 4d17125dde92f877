#!/usr/bin/env bash
# Shows what .ci/deps does for a user who has redis-server (and Chromium) but lacks HAProxy,
# without installing or stopping anything: in a private mount namespace (unshare: root, or
# unprivileged user namespaces) the directories holding a real haproxy are hidden under empty
# ones, and apt-get, dpkg-query, systemctl and service are stubs that log their arguments. It must install haproxy and stop only the haproxy
# service, never the user's redis-server. Not part of `make test` (it needs unshare).
#
#   bash .ci/deps_test.sh [path/to/deps]
set -euo pipefail
deps=$(realpath "${1:-$(dirname "$0")/deps}")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin"
log="$dir/calls"
: >"$log"
for stub in apt-get systemctl service; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$stub" "$log" >"$dir/bin/$stub"
done
# dpkg-query: only haproxy is not installed.
printf '#!/bin/sh\ncase "$*" in *haproxy*) exit 1;; *) printf "install ok installed";; esac\n' >"$dir/bin/dpkg-query"
# The user's redis-server and Chromium, whether or not this machine has them.
printf '#!/bin/sh\nexit 0\n' >"$dir/bin/redis-server"
cp "$dir/bin/redis-server" "$dir/bin/chromium"
chmod +x "$dir/bin/"*

flags=(--mount)
[ "$(id -u)" -eq 0 ] || flags+=(--map-root-user)
unshare "${flags[@]}" bash -euo pipefail -c '
  # An empty directory over every directory that holds a haproxy (bash finds even a file it
  # cannot execute, so hiding the file itself is not enough).
  for d in /usr/sbin /sbin /usr/local/sbin /usr/local/bin /usr/bin; do
    if [ -e "$d/haproxy" ] && [ ! -L "$d" ]; then
      [ "$d" = /usr/bin ] && { echo "haproxy is in /usr/bin, which cannot be hidden" >&2; exit 2; }
      mount -t tmpfs tmpfs "$d"
    fi
  done
  PATH="$1:/usr/bin:/bin:/usr/sbin:/sbin" bash "$2"
' _ "$dir/bin" "$deps"

echo "--- calls of $deps:"
cat "$log"
fail=0
grep -q '^apt-get install .*haproxy' "$log" || { echo "FAIL: haproxy not installed"; fail=1; }
grep -q '^apt-get install .*redis-server' "$log" && { echo "FAIL: installed redis-server, which the user has"; fail=1; }
grep -Eq '^(systemctl|service) .*redis-server' "$log" && { echo "FAIL: stopped the user's redis-server"; fail=1; }
grep -Eq '^(systemctl|service) .*haproxy' "$log" || { echo "FAIL: did not stop the haproxy service it installed"; fail=1; }
[ "$fail" -eq 0 ] && echo "ok: installed haproxy, stopped only its service"
exit "$fail"
