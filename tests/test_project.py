"""The project itself: settings from the environment, migrations, on_delete rules."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import models
from django.db.models.deletion import DO_NOTHING, DatabaseOnDelete

from tests import processes

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = ["ccadmin", "partitions", "services", "contacts"]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process with no SECRET_KEY or DEBUG but those given."""
    return processes.run_manage(*args, env=env, without=("SECRET_KEY", "DEBUG"))


def test_secret_key_required_without_debug_one_line_error():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_settings_read_from_environment():
    code = (
        "from django.conf import settings as s;"
        "print(s.CLIENT_PARTITION_LIMIT, s.DEBUG, s.ALLOWED_HOSTS,"
        " s.DATABASES['default']['ENGINE'])"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DEBUG="false",
        SECRET_KEY="x" * 50,
        CLIENT_PARTITION_LIMIT="7",
        ALLOWED_HOSTS="cc.example.com,cc2.example.com",
        DATABASE_URL="sqlite:////tmp/ccadmin-settings-test.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == (
        "7 False ['cc.example.com', 'cc2.example.com'] django.db.backends.sqlite3"
    )


def test_default_database_is_sqlite_file_in_project():
    code = (
        "from django.conf import settings as s; print(s.DATABASES['default']['NAME'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**env, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == str(ROOT / "db.sqlite3")


def test_env_example_documents_every_setting():
    text = (ROOT / ".env.example").read_text()
    for name in [
        "DATABASE_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CLIENT_PARTITION_LIMIT",
    ]:
        assert f"# {name}=" in text, name


@pytest.mark.django_db
def test_migrations_are_up_to_date():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_every_foreign_key_deletes_in_the_database():
    """Database-level on_delete on every foreign key of these models
    (docs/design.md, "Cascade in the database")."""
    found = []
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.proxy:
                continue  # AuditEntry: a view of Django's LogEntry, no table of its own
            for field in model._meta.get_fields():
                if field.is_relation and field.concrete and field.many_to_one:
                    found.append(field)
                    rule = field.remote_field.on_delete
                    assert isinstance(rule, DatabaseOnDelete) or rule is DO_NOTHING, (
                        f"{model.__name__}.{field.name}"
                    )
                if field.is_relation and field.concrete and field.one_to_one:
                    if field.related_model is LogEntry:
                        # AuditScope.entry follows Django's LogEntry, whose own
                        # references are Python-level (fields.E323 forbids mixing).
                        continue
                    assert isinstance(field.remote_field.on_delete, DatabaseOnDelete)
    assert len(found) > 10


def test_partition_children_cascade_and_services_set_null():
    from contacts.models import Activity, Company, Contact, Email
    from services.models import Service

    for model in (Contact, Company, Email, Activity):
        rule = model._meta.get_field("partition").remote_field.on_delete
        assert rule is models.DB_CASCADE, model
    rule = Service._meta.get_field("client_partition").remote_field.on_delete
    assert rule is models.DB_SET_NULL


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    from django.contrib.auth.models import User

    from partitions.models import ClientPartition

    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (ClientPartition.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=out)
    assert (ClientPartition.objects.count(), User.objects.count()) == counts
    assert counts[0] == 5
    assert set(User.objects.values_list("username", flat=True)) == {
        "provider",
        "admin",
        "agent",
        "acme-supervisor",
        "northwind-admin",
    }
    assert "Demo data already present." in out.getvalue()
    # The demo's client supervisor works for one client only.
    supervisor = User.objects.get(username="acme-supervisor").membership
    assert not supervisor.all_client_partitions
    assert [c.name for c in supervisor.client_partitions.all()] == ["Acme Insurance"]
