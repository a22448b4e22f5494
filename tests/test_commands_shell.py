"""The commands as a shell script runs them: real exit statuses, stderr lines, and
the whole life of a client partition (the issue's "Done when")."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """Run manage.py in a subprocess against its own migrated SQLite database."""
    folder = tmp_path_factory.mktemp("shell")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    env.update(DEBUG="true", DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}")

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("migrate", "-v", "0").returncode == 0
    assert run("seed_demo", "-v", "0").returncode == 0
    run.folder = folder
    return run


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_errors_are_one_stderr_line_and_non_zero(shell):
    unknown = shell("partitions", "add", "--tenant", "nowhere", "--name", "X")
    assert unknown.returncode == 1
    assert one_line(unknown).startswith('CommandError: Unknown tenant "nowhere"')

    usage = shell("partitions", "add", "--tenant", "sakura")
    assert usage.returncode == 2
    assert "required: --name" in one_line(usage)

    no_partition = shell("partitions", "disable", "Nope", "--tenant", "sakura")
    assert no_partition.returncode == 1
    assert "no client partition named" in one_line(no_partition)

    bad_format = shell("partitions", "list", "--format", "xml")
    assert bad_format.returncode == 2
    assert "invalid choice: 'xml'" in one_line(bad_format)


def test_delete_without_terminal_refuses_with_exit_status_1(shell):
    result = shell("partitions", "delete", "Initech", "--tenant", "sakura", stdin="yes")
    assert result.returncode == 1
    assert "Refusing to delete without a terminal" in one_line(result)
    listed = json.loads(shell("partitions", "list", "--format", "json").stdout)
    names = {p["name"] for t in listed for p in t["client_partitions"]}
    assert "Initech" in names


def test_whole_life_of_a_client_partition_from_the_shell(shell):
    folder = shell.folder
    csv_file = folder / "contacts.csv"
    csv_file.write_text(
        "\ufefffirst name,last name,email,phone,company,title\n"
        "太郎,山田,taro@example.jp,+81300000001,山田商事,部長\n"
        "Aiko,Tanaka,aiko@example.com,,Globex,\n",
        encoding="utf-8",
    )
    archive = folder / "hoshi.zip"

    add = shell("partitions", "add", "--tenant", "sakura", "--name", "Hoshi Airlines")
    assert add.returncode == 0, add.stderr
    imported = shell(
        "import_contacts",
        str(csv_file),
        "--tenant",
        "sakura",
        "--partition",
        "Hoshi Airlines",
    )
    assert imported.returncode == 0, imported.stderr
    assert "Imported 2 contacts, updated 0 (2 companies created)" in imported.stdout
    listed = json.loads(
        shell("partitions", "list", "--tenant", "sakura", "--format", "json").stdout
    )
    [hoshi] = [
        p for p in listed[0]["client_partitions"] if p["name"] == "Hoshi Airlines"
    ]
    assert (hoshi["enabled"], hoshi["contacts"]) == (True, 2)
    assert listed[0]["usage"] == "5 of 20 client partitions used"

    assert (
        shell(
            "partitions", "disable", "Hoshi Airlines", "--tenant", "sakura", "-v", "0"
        ).stdout
        == ""
    )
    exported = shell(
        "partitions",
        "export",
        "Hoshi Airlines",
        "--tenant",
        "sakura",
        "--output",
        str(archive),
    )
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(archive) as zipped:
        assert json.loads(zipped.read("manifest.json"))["counts"]["contacts"] == 2
        assert "山田" in zipped.read("contacts.csv").decode("utf-8-sig")
    deleted = shell(
        "partitions", "delete", "Hoshi Airlines", "--tenant", "sakura", "--noinput"
    )
    assert deleted.returncode == 0, deleted.stderr
    assert 'Client partition "Hoshi Airlines" deleted:' in deleted.stdout
    assert "2 contacts" in deleted.stdout

    # What the admin's History shows: one entry per step, by the system account.
    history = shell(
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.admin.models import LogEntry;"
        "[print(e.user.username, e.action_flag, e.object_repr) for e in "
        "LogEntry.objects.filter(object_repr='Hoshi Airlines').order_by('pk')]",
    )
    assert history.stdout.splitlines() == [
        "ccadmin-system 1 Hoshi Airlines",  # added
        "ccadmin-system 2 Hoshi Airlines",  # contacts imported
        "ccadmin-system 2 Hoshi Airlines",  # disabled
        "ccadmin-system 2 Hoshi Airlines",  # exported
        "ccadmin-system 3 Hoshi Airlines",  # deleted
    ]


def test_an_agent_named_by_user_is_refused_in_one_line(shell):
    # The attack's example (issue 11, item 8): it used to add the partition, audited
    # as done by the agent.
    result = shell(
        "partitions", "add", "--tenant", "sakura", "--name", "X", "--user", "agent"
    )
    assert result.returncode == 1
    assert one_line(result).startswith('CommandError: The user "agent" may not')
    listed = json.loads(shell("partitions", "list", "--format", "json").stdout)
    names = {p["name"] for t in listed for p in t["client_partitions"]}
    assert "X" not in names
