#!/usr/bin/env bash
# The system packages minsec needs beyond Python, installed from Debian when missing.
#   scripts/system-deps.sh chromium             (make demo: PDF briefings)
#   scripts/system-deps.sh chromium postgresql  (make test: dashboard e2e, PDF, PostgreSQL state)
# Present already elsewhere? Point at it instead of installing:
#   MINSEC_CHROMIUM=/path/to/chromium     a Chromium or Chrome binary
#   MINSEC_PG_BINDIR=/path/to/bin         a directory holding PostgreSQL's initdb and pg_ctl
set -euo pipefail

missing=()
for want in "$@"; do
  case "$want" in
    chromium)
      if [ -n "${MINSEC_CHROMIUM:-}" ]; then
        [ -x "$MINSEC_CHROMIUM" ] || { echo "MINSEC_CHROMIUM=$MINSEC_CHROMIUM is not an executable file" >&2; exit 1; }
      elif [ ! -x /usr/bin/chromium ]; then
        missing+=(chromium)
      fi ;;
    postgresql)
      if [ -n "${MINSEC_PG_BINDIR:-}" ]; then
        [ -x "$MINSEC_PG_BINDIR/initdb" ] && [ -x "$MINSEC_PG_BINDIR/pg_ctl" ] || {
          echo "MINSEC_PG_BINDIR=$MINSEC_PG_BINDIR has no initdb and pg_ctl" >&2; exit 1; }
      elif ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
        missing+=(postgresql)
      fi ;;
    *) echo "system-deps.sh: unknown package '$want'" >&2; exit 2 ;;
  esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi

cat >&2 <<MSG
minsec needs these system packages, which are not installed: ${missing[*]}
  Debian/Ubuntu (as root):  apt-get install -y ${missing[*]}
  or point at binaries you have:
    MINSEC_CHROMIUM=/path/to/chromium        (chromium: PDF briefings, dashboard tests)
    MINSEC_PG_BINDIR=/usr/lib/postgresql/NN/bin  (postgresql: app-state tests)
This script installs them itself when run as root on a machine with apt-get.
MSG
exit 1
