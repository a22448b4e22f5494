"""scripts/check_system.sh: `make run` and `make test` say what the machine lacks
and how to install it, failing only for what the target needs."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.processes import ROOT

SCRIPT = ROOT / "scripts" / "check_system.sh"


@pytest.fixture
def machine(tmp_path):
    """A PATH holding only the shell's basics, plus the tools a test gives it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "uname", "env"):
        (bin_dir / tool).symlink_to(shutil.which(tool))

    def run(target: str, *, tools: dict | None = None, chromium: Path | None = None):
        for name, output in (tools or {}).items():
            stub = bin_dir / name
            stub.write_text(f"#!{shutil.which('bash')}\necho '{output}'\n")
            stub.chmod(0o755)
        env = {
            "PATH": str(bin_dir),
            "CHROMIUM": str(chromium or tmp_path / "no-chromium"),
            "HOME": str(tmp_path),
        }
        return subprocess.run(
            [str(bin_dir / "bash"), str(SCRIPT), target],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    return run


def test_run_fails_without_msgfmt_and_says_how_to_install_it(machine):
    result = machine("run")
    assert result.returncode == 1
    assert "msgfmt (GNU gettext) not found" in result.stderr
    assert "install: " in result.stderr and "gettext" in result.stderr
    # Browser tests and fonts are not run's business.
    assert "chromium" not in result.stderr.lower()


def test_run_passes_silently_with_msgfmt(machine):
    result = machine("run", tools={"msgfmt": ""})
    assert (result.returncode, result.stderr) == (0, "")


def test_test_warns_about_chromium_fonts_and_xgettext_without_failing(machine):
    result = machine("test", tools={"msgfmt": "", "fc-list": ""})
    assert result.returncode == 0
    assert "the browser tests (tests/e2e) will skip" in result.stderr
    assert "no Japanese (CJK) font found" in result.stderr
    assert "fonts-noto-cjk" in result.stderr
    assert "xgettext" in result.stderr


def test_test_is_quiet_on_a_complete_machine(machine, tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    tools = {"msgfmt": "", "xgettext": "", "fc-list": "NotoSansCJK-Regular.ttc"}
    result = machine("test", tools=tools, chromium=chromium)
    assert (result.returncode, result.stderr) == (0, "")


def test_make_run_and_make_test_check_the_machine_first():
    makefile = (ROOT / "Makefile").read_text()
    assert "\nrun: check-run " in makefile
    assert "\ntest: check-test " in makefile
