#!/usr/bin/env bash
# Say what this machine lacks for a make target, and how to install it.
#   scripts/check_system.sh run|test
# Fails (exit 1) only for what the target cannot do without: msgfmt, which compiles
# the Japanese catalogue both need. Warns about what only some of it needs: the
# browser tests' Chromium, and the CJK fonts their Japanese screenshots are drawn in.
# (Python >= 3.12 is checked by scripts/find_python.sh when .venv is made.)
set -u
target=${1:-run}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
missing=0

if [ "$(uname -s)" = Darwin ]; then
  gettext_hint="brew install gettext"
  fonts_hint="brew install --cask font-noto-sans-cjk-jp"
  chromium_hint="the browser tests expect Debian's /usr/bin/chromium; run them on Debian (.ci/run)"
else
  gettext_hint="sudo apt-get install gettext"
  fonts_hint="sudo apt-get install fonts-noto-cjk"
  chromium_hint="sudo apt-get install chromium"
fi

fail() { echo "error: $1" >&2; echo "  install: $2" >&2; missing=1; }
warn() { echo "warning: $1" >&2; echo "  install: $2" >&2; }

if ! command -v msgfmt >/dev/null 2>&1; then
  fail "msgfmt (GNU gettext) not found: the Japanese catalogue cannot be compiled." \
    "$gettext_hint"
fi

if [ "$target" = test ]; then
  if ! command -v xgettext >/dev/null 2>&1; then
    warn "xgettext (GNU gettext) not found: the untranslated-string test will skip." \
      "$gettext_hint"
  fi
  if [ ! -x "$CHROMIUM" ]; then
    warn "$CHROMIUM not found: the browser tests (tests/e2e) will skip." \
      "$chromium_hint"
  fi
  if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then
    warn "no Japanese (CJK) font found: Japanese screenshots would show empty boxes." \
      "$fonts_hint"
  fi
fi

exit $missing
