"""Each log record is written once: a 401 of the API and the autoreloader's
"Watching for file changes" used to appear twice on `make run`'s console."""

import re

from tests.processes import ROOT, run_manage

# A 401 on the API and the autoreloader's line, logged as Django logs them, in a
# process configured as `make run` configures it (DEBUG on, the project's LOGGING).
SCRIPT = """
import logging
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
response = Client().post("/api/interactions/", "{}", content_type="application/json")
print("status", response.status_code)
logging.getLogger("django.utils.autoreload").info(
    "Watching for file changes with StatReloader"
)
"""


def test_a_401_and_the_reloader_line_are_logged_once(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        SCRIPT,
        env={"DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
    )
    assert "status 401" in result.stdout, result.stderr
    assert result.stderr.count("Unauthorized: /api/interactions/") == 1, result.stderr
    assert result.stderr.count("Watching for file changes") == 1, result.stderr


def test_make_run_reloads_only_the_web_server():
    """Two reloaders (runserver's and the worker's) print the line twice."""
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"manage\.py runserver(?! .*--noreload)", recipe)
    assert re.search(r"manage\.py db_worker .*--no-reload", recipe)
