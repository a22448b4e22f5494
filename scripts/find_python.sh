#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (Django 6.1 needs it), or explain and fail.
# `python3` may be 3.11 here, and pyenv's python3.12/python3.13 shims refuse to run
# unless PYENV_VERSION selects them, so each candidate is tried by running it.
set -u

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

if [ -n "${PYTHON:-}" ]; then
  if ok "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "error: PYTHON=$PYTHON is not a Python >= 3.12" >&2; exit 1
fi

for candidate in python3.13 python3.12 python3 python; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if ok "$path"; then echo "$path"; exit 0; fi
done

if command -v pyenv >/dev/null 2>&1; then
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.[0-9]+(\.[0-9]+)?$' | sort -rV); do
    path=$(PYENV_VERSION=$version pyenv which python 2>/dev/null) || continue
    if ok "$path"; then echo "$path"; exit 0; fi
  done
fi

echo "error: no Python >= 3.12 found (tried python3.13, python3.12, python3, python and pyenv)." >&2
echo "Install Python 3.12 or newer, or run: make PYTHON=/path/to/python3.12 ..." >&2
exit 1
