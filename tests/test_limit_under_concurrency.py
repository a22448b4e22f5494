"""The partition limit under concurrency: 20 adds at once against a tenant one below
its limit, 20 times over, through the action, the admin's HTTP POST and the command.

Exactly one add succeeds each time; every other one gets the limit message. On
PostgreSQL the check and the insert run under a row lock on the tenant
(partitions.actions.create_client_partition); on SQLite, IMMEDIATE transactions take
the database's write lock at BEGIN and a writer waits up to `timeout` (20 s) for it.
"""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from partitions import actions
from partitions.limit import ClientPartitionLimitReached
from partitions.models import ClientPartition
from tests import factories
from tests.live import Browser, race

RACERS = 20
ROUNDS = int(os.environ.get("CCADMIN_RACE_ROUNDS", "20"))
LIMIT = 3
USED = f"{LIMIT} of {LIMIT} client partitions used"
ROOT = Path(__file__).resolve().parent.parent


def tenant_one_below_its_limit(round_no: int):
    """A tenant with its own limit of 3 that already has 2 client partitions."""
    tenant = factories.TenantFactory(
        name=f"Race {round_no}", client_partition_limit=LIMIT
    )
    factories.ClientPartitionFactory.create_batch(LIMIT - 1, tenant=tenant)
    return tenant


def assert_exactly_one_place_taken(tenant) -> None:
    assert ClientPartition.objects.filter(tenant=tenant).count() == LIMIT


def assert_one_added_others_refused(tenant, outcomes, added, refused_kind) -> None:
    """One racer of the round added the last place; every other was refused with
    the limit's message, and the tenant is exactly at its limit."""
    refused = [o for o in outcomes if isinstance(o, refused_kind)]
    assert (len(added), len(refused)) == (1, RACERS - 1), outcomes
    assert all(USED in str(r) for r in refused)
    assert_exactly_one_place_taken(tenant)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_action_lets_exactly_one_of_20_concurrent_adds_through_20_times():
    actor = factories.superuser()
    for round_no in range(ROUNDS):
        tenant = tenant_one_below_its_limit(round_no)
        outcomes = race(
            [
                lambda i=i, t=tenant: actions.create_client_partition(
                    ClientPartition(tenant=t, name=f"Racer {i}"), actor=actor
                )
                for i in range(RACERS)
            ]
        )
        created = [o for o in outcomes if isinstance(o, ClientPartition)]
        assert_one_added_others_refused(
            tenant, outcomes, created, ClientPartitionLimitReached
        )


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_admin_post_lets_exactly_one_of_20_concurrent_adds_through_20_times(
    live_server,
):
    add_url = reverse("admin:partitions_clientpartition_add")
    tenant = tenant_one_below_its_limit(0)
    browsers = [
        Browser(live_server.url, factories.administrator(tenant)) for _ in range(RACERS)
    ]
    for round_no in range(ROUNDS):
        # One below the limit again: the last round's winner goes.
        ClientPartition.objects.filter(tenant=tenant, name__startswith="Racer").delete()
        answers = race(
            [
                lambda b=b, i=i: b.post(
                    add_url, {"name": f"Racer {i}", "enabled": "on"}
                )
                for i, b in enumerate(browsers)
            ]
        )
        assert all(a.status == 200 for a in answers), [
            getattr(a, "status", a) for a in answers
        ]
        added = [a for a in answers if "was added successfully" in a.text]
        refused = [a for a in answers if f"limit is reached: {USED}" in a.text]
        assert (len(added), len(refused)) == (1, RACERS - 1), round_no
        assert not set(map(id, added)) & set(map(id, refused))
        assert_exactly_one_place_taken(tenant)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_command_lets_exactly_one_of_20_concurrent_adds_through_20_times():
    def add(tenant, i: int) -> str:
        out = StringIO()
        call_command(
            "partitions", "add", "--tenant", tenant.slug, "--name", f"Racer {i}",
            stdout=out, stderr=StringIO(),
        )  # fmt: skip
        return out.getvalue()

    for round_no in range(ROUNDS):
        tenant = tenant_one_below_its_limit(round_no)
        outcomes = race([lambda i=i, t=tenant: add(t, i) for i in range(RACERS)])
        added = [o for o in outcomes if isinstance(o, str) and "added" in o]
        assert_one_added_others_refused(tenant, outcomes, added, CommandError)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_command_processes_let_exactly_one_of_20_through():
    """The same as real processes started at once: one exits 0, 19 exit 1 with the
    limit message as their one stderr line."""
    tenant = tenant_one_below_its_limit(0)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ccadmin.settings_test",
        "DATABASE_URL": _url_of_test_database(),
    }
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "partitions",
                "add",
                "--tenant",
                tenant.slug,
                "--name",
                f"Racer {i}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(RACERS)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    for p in processes:
        p.stdout.close()
        p.stderr.close()
    assert sorted(code for code, _err in results) == [0] + [1] * (RACERS - 1)
    for code, err in results:
        if code == 1:
            assert err.count("\n") == 1 and USED in err, err
    assert_exactly_one_place_taken(tenant)


def _url_of_test_database() -> str:
    s = connection.settings_dict
    return (
        f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:"
        f"{s['PORT'] or 5432}/{s['NAME']}"
    )


# ----- SQLite ------------------------------------------------------------------------

SQLITE_RACE = r"""
import json, threading, time, django
django.setup()
from tests.live import race
from django.core.management import call_command
from django.db import transaction
from ccadmin.locks import lock_tenant
from partitions import actions
from partitions.models import ClientPartition
from tests import factories

call_command("migrate", verbosity=0)
actor = factories.superuser()
report = {}

# 1. Ten concurrent adds against a tenant one below its limit.
tenant = factories.TenantFactory(client_partition_limit=3)
factories.ClientPartitionFactory.create_batch(2, tenant=tenant)
outcomes = race([
    lambda i=i: actions.create_client_partition(
        ClientPartition(tenant=tenant, name=f"Racer {i}"), actor=actor)
    for i in range(10)])
report["outcomes"] = [
    "created" if isinstance(o, ClientPartition) else f"{type(o).__name__}: {o}"
    for o in outcomes]
report["count"] = ClientPartition.objects.filter(tenant=tenant).count()

# 2. A writer holding the write lock makes a second one wait (not fail) until it ends.
tenant = factories.TenantFactory(client_partition_limit=3)
order = []
holding = threading.Event()
def holder():
    with transaction.atomic():
        lock_tenant(tenant.pk)
        ClientPartition.objects.create(tenant=tenant, name="Held")
        holding.set()
        time.sleep(1)
        order.append("holder committed")
def waiter():
    holding.wait()
    actions.create_client_partition(
        ClientPartition(tenant=tenant, name="Waited"), actor=actor)
    order.append("waiter added")
assert race([holder, waiter]) == [None, None]
report["order"] = order
report["names"] = sorted(
    ClientPartition.objects.filter(tenant=tenant).values_list("name", flat=True))
print(json.dumps(report))
"""


def test_sqlite_file_database_serialises_adds_with_immediate_transactions(tmp_path):
    """On a file-based SQLite database (what `make run` uses), concurrent adds are
    serialised by IMMEDIATE transactions: one of ten passes, nine get the limit
    message, none fails with "database is locked"; a writer waits for the lock."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ccadmin.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_RACE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["outcomes"].count("created") == 1, report["outcomes"]
    refused = [o for o in report["outcomes"] if o != "created"]
    assert len(refused) == 9
    assert all(o.startswith("ClientPartitionLimitReached") for o in refused), refused
    assert all("3 of 3 client partitions used" in o for o in refused)
    assert report["count"] == 3
    assert report["order"] == ["holder committed", "waiter added"]
    assert report["names"] == ["Held", "Waited"]


def test_sqlite_settings_use_immediate_transactions_and_a_20_second_timeout():
    """What the SQLite behaviour above rests on (ccadmin/settings.py)."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ccadmin.settings_test",
        "DATABASE_URL": "sqlite:///unused.sqlite3",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    options = json.loads(done.stdout)
    assert options == {"transaction_mode": "IMMEDIATE", "timeout": 20}
