"""The whole life of a client, added, enabled, disabled, offboarded, cancelled,
offboarded again, purged and certified: from the command line (real processes, exit
statuses and stderr lines) and from the admin (issue 13's "Done when")."""

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from contacts.models import Contact
from partitions import actions
from partitions.models import ClientPartition, DeletionCertificate
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """manage.py in a subprocess, on its own migrated SQLite database and export
    folder."""
    folder = tmp_path_factory.mktemp("offboarding-shell")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    env.update(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        CLIENT_PARTITION_EXPORT_DIR=str(folder / "exports"),
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            input="",
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


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_whole_life_from_the_command_line(shell):
    out = shell.folder
    tenant = ("--tenant", "sakura")
    ok(shell("partitions", "add", "--name", "Lifecycle KK", *tenant))
    ok(shell("partitions", "disable", "Lifecycle KK", *tenant))
    ok(shell("partitions", "enable", "Lifecycle KK", *tenant))
    ok(shell("partitions", "disable", "Lifecycle KK", *tenant))

    first = out / "first.zip"
    said = ok(
        shell(
            "partitions", "offboard", "Lifecycle KK", *tenant,
            "--output", str(first), "--grace-days", "10",
        )
    )  # fmt: skip
    assert "Purge on" in said
    sha = hashlib.sha256(first.read_bytes()).hexdigest()
    assert sha in said
    with zipfile.ZipFile(first) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["sha256"]) >= {"contacts.csv", "companies.csv"}

    # Already offboarding: refused, one line.
    again = shell(
        "partitions",
        "offboard",
        "Lifecycle KK",
        *tenant,
        "--output",
        str(out / "x.zip"),
    )
    assert again.returncode == 1
    assert "already being offboarded" in one_line(again)
    assert not (out / "x.zip").exists()
    # Not due: purge-due leaves it.
    assert "No client is due" in ok(shell("partitions", "purge-due"))

    ok(shell("partitions", "offboard", "--cancel", "Lifecycle KK", *tenant))
    second = out / "second.zip"
    ok(
        shell(
            "partitions", "offboard", "Lifecycle KK", *tenant,
            "--output", str(second), "--grace-days", "0",
        )
    )  # fmt: skip
    purged = ok(shell("partitions", "purge-due"))
    assert 'Client partition "Lifecycle KK" deleted' in purged
    assert "No client is due" in ok(shell("partitions", "purge-due"))  # idempotent

    certificate = out / "certificate.json"
    ok(
        shell(
            "partitions", "certificate", "Lifecycle KK", *tenant,
            "--output", str(certificate),
        )
    )  # fmt: skip
    data = json.loads(certificate.read_text())
    assert data["kind"] == "purge"
    assert data["client_partition"]["name"] == "Lifecycle KK"
    assert data["export_sha256"] == hashlib.sha256(second.read_bytes()).hexdigest()


def test_offboarding_commands_refuse_bad_input_in_one_line(shell):
    tenant = ("--tenant", "sakura")
    cases = [
        (("partitions", "offboard", "Nope", *tenant, "--output", "a.zip"),
         "no client partition named"),
        (("partitions", "offboard", "Initech", *tenant), "--output"),
        (("partitions", "offboard", "Initech", *tenant, "--output", "a.zip",
          "--grace-days", "-3"), "from 0 to 3650"),
        (("partitions", "offboard", "Initech", *tenant, "--output",
          "/no/such/dir/a.zip"), "no such directory"),
        (("partitions", "offboard", "--cancel", "Initech", *tenant),
         "is not being offboarded"),
        (("partitions", "certificate", "Nobody", *tenant, "--output", "c.json"),
         "no deletion certificate"),
    ]  # fmt: skip
    for args, words in cases:
        result = shell(*args)
        assert result.returncode == 1, (args, result.stderr)
        assert words in one_line(result), args
    # Nothing happened to Initech.
    listed = json.loads(shell("partitions", "list", "--format", "json").stdout)
    names = {p["name"] for t in listed for p in t["client_partitions"]}
    assert "Initech" in names


def test_whole_life_from_the_admin(admin_client, admin_user, tenant):
    add = admin_client.post(
        reverse("admin:partitions_clientpartition_add"),
        {"name": "Lifecycle KK", "description": "", "enabled": "on"},
    )
    assert add.status_code == 302
    client = ClientPartition.objects.get(name="Lifecycle KK")
    factories.ContactFactory(tenant=tenant, partition=client)
    changelist = reverse("admin:partitions_clientpartition_changelist")
    for action in ("disable_partitions", "enable_partitions", "disable_partitions"):
        admin_client.post(changelist, {"action": action, "_selected_action": client.pk})
    client.refresh_from_db()
    assert not client.enabled

    change = reverse("admin:partitions_clientpartition_change", args=[client.pk])
    offboard = reverse("admin:partitions_clientpartition_offboard", args=[client.pk])
    assert 'class="partition-offboard"' in admin_client.get(change).text
    page = admin_client.get(offboard)
    assert page.status_code == 200 and 'value="30"' in page.text
    assert not ClientPartition.objects.get(pk=client.pk).is_offboarding  # GET: none
    refused = admin_client.post(offboard, {"grace_days": "-1"})
    assert refused.status_code == 200
    assert "greater than or equal to 0" in refused.text
    admin_client.post(offboard, {"grace_days": "7"})
    client.refresh_from_db()
    assert client.is_offboarding

    listing = admin_client.get(changelist)
    assert "Offboarding: purge on" in listing.text
    shown = admin_client.get(change)
    assert "Offboarding: purge on" in shown.text
    assert "Download the export again" in shown.text
    download = reverse("admin:partitions_clientpartition_download", args=[client.pk])
    zipped = admin_client.post(download)
    body = b"".join(zipped.streaming_content)
    assert hashlib.sha256(body).hexdigest() == client.offboarding_export_sha256
    # Read-only: a change of the name is refused.
    admin_client.post(change, {"name": "Renamed", "description": "", "enabled": ""})
    assert ClientPartition.objects.get(pk=client.pk).name == "Lifecycle KK"

    cancel = reverse("admin:partitions_clientpartition_cancel", args=[client.pk])
    assert "Cancel the offboarding" in admin_client.get(cancel).text
    admin_client.post(cancel)
    client.refresh_from_db()
    assert not client.is_offboarding and not client.enabled
    assert Contact.objects.filter(partition=client).count() == 1

    admin_client.post(offboard, {"grace_days": "0"})
    report = actions.purge_due_client_partitions()
    assert [s.name for s in report.purged] == ["Lifecycle KK"]
    certificate = DeletionCertificate.objects.get(client_partition_id=client.pk)
    assert certificate.requested_by == admin_user.username
    page = admin_client.get(
        reverse("admin:partitions_deletioncertificate_change", args=[certificate.pk])
    )
    assert page.status_code == 200 and "Lifecycle KK" in page.text


def test_agent_may_not_offboard(agent_client, tenant):
    client = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    url = reverse("admin:partitions_clientpartition_offboard", args=[client.pk])
    assert agent_client.post(url, {"grace_days": "0"}).status_code in (302, 403)
    assert not ClientPartition.objects.get(pk=client.pk).is_offboarding
