"""Running `manage.py` in a fresh process, as an operator or a deployment script does.

Some behaviour exists only at start-up (settings read from the environment, argparse's
--help, `check --deploy`), so these tests run the real command line rather than
call_command.
"""

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(
    *args: str,
    env: dict[str, str] | None = None,
    without: Iterable[str] = ("DJANGO_SETTINGS_MODULE",),
) -> subprocess.CompletedProcess:
    """Run `manage.py args` from the repository root with this interpreter, in this
    process's environment less the variables `without` (the test settings module
    always) plus `env`; return the finished process with its output as text."""
    dropped = {"DJANGO_SETTINGS_MODULE", *without}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
