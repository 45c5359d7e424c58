#!/usr/bin/env bash
# Debian's Chromium for the real-browser UI test (tests/test_ui_browser.py): installed with apt when it is missing
# and this machine can install it (root, apt-get). Idempotent and quiet: when the browser is there nothing runs and
# nothing is printed. Always exits 0: a machine that cannot install it skips the browser test, and under CI
# (CI=true) tests/conftest.py turns that skip into a failure.
# CLINRAG_CHROMIUM names another browser binary (then nothing is installed); CLINRAG_DEBIAN_CHROMIUM is where the
# Debian package puts it (default /usr/bin/chromium; tests point it elsewhere).
set -uo pipefail
debian="${CLINRAG_DEBIAN_CHROMIUM:-/usr/bin/chromium}"
chromium="${CLINRAG_CHROMIUM:-$debian}"
[ -x "$chromium" ] && exit 0
if [ "$chromium" != "$debian" ]; then
  echo "clinrag tests: CLINRAG_CHROMIUM=$chromium is not an executable; the browser test will be skipped"
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "clinrag tests: no Chromium at $chromium and no root apt-get to install it (apt-get install chromium);" \
       "the browser test will be skipped"
  exit 0
fi
log="${TMPDIR:-/tmp}/clinrag-apt-chromium.log"
echo "clinrag tests: installing Debian's chromium for the browser test (apt log: $log)"
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >"$log" 2>&1 && apt-get install -y -qq chromium >>"$log" 2>&1 && [ -x "$chromium" ]; then
  echo "clinrag tests: chromium installed at $chromium"
else
  echo "clinrag tests: installing chromium failed; the browser test will be skipped. Last lines of $log:"
  tail -n 5 "$log" | sed 's/^/    /'
fi
exit 0
