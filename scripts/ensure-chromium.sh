#!/usr/bin/env bash
# Make sure Debian's chromium is at /usr/bin/chromium for the browser tests (tests/browser/),
# with a small CJK font so screenshots of the Chinese UI are legible. Idempotent and silent
# when both are there. Playwright drives this binary; it never downloads a browser of its own.
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

has_cjk_font() { fc-list :lang=zh family 2>/dev/null | grep -q .; }

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
has_cjk_font || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing ${missing[*]} and there is no apt-get here: install them by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "installing ${missing[*]} needs root" >&2; exit 1; }
    SUDO="sudo"
fi
echo "installing ${missing[*]} from Debian" >&2
apt_get() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
log=$(mktemp)
# apt's chatter goes to a log that is shown only if the install fails.
if ! { apt_get update -qq && apt_get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
[ -x "$CHROMIUM" ] || { echo "chromium did not install at $CHROMIUM" >&2; exit 1; }
echo "chromium ready at $CHROMIUM" >&2
