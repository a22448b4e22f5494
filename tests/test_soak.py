"""Load with nothing lost: a bounded soak against a real server on loopback.

For CCADMIN_SOAK_SECONDS (default 60), agents poll the desktop JSON, administrators
load the partition list and change pages, gateways post calls and emails to the API,
and an administrator disables and enables the clients that the interactions are
routed to, all at once. Afterwards: no 5xx answer, no failed request, and every
interaction the API accepted (201) is in the database, in the client or in none.
"""

import json
import os
import threading
import time
from collections import Counter

import pytest
from django.urls import reverse

from contacts.models import Activity, Email
from services.models import Service
from tests import factories
from tests.live import Browser

SOAK_SECONDS = float(os.environ.get("CCADMIN_SOAK_SECONDS", "60"))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_soak_no_5xx_and_every_accepted_interaction_is_kept(live_server, tenant):
    # given: two clients with a service each, an agent, two administrators, a gateway
    clients = [factories.client_with_data(tenant, f"Client {i}") for i in range(2)]
    lines = [
        factories.ServiceFactory(
            tenant=tenant, name=f"Line {i}", client_partition=clients[i]
        )
        for i in range(2)
    ]
    factories.ServiceFactory(
        tenant=tenant, name="Mail", type=Service.Type.EMAIL, client_partition=clients[0]
    )
    _token, key = factories.gateway_token(tenant)
    agent = Browser(live_server.url, factories.agent(tenant))
    admin = Browser(live_server.url, factories.administrator(tenant))
    toggler = Browser(live_server.url, factories.administrator(tenant))
    gateway = Browser(live_server.url)
    activities_before = Activity.objects.count()

    statuses: Counter = Counter()
    failures: list[str] = []
    accepted: list[int] = []
    accepted_emails: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def note(kind: str, status: int) -> None:
        with lock:
            statuses[(kind, status)] += 1

    def loop(kind: str, step) -> None:
        n = 0
        while not stop.is_set():
            try:
                step(n)
            except Exception as exc:  # a refused connection, a timeout: a failure
                with lock:
                    failures.append(f"{kind}: {exc!r}")
            n += 1

    def agent_step(n: int) -> None:
        answer = agent.get(reverse("agent:client_partitions_json"))
        note("agent-json", answer.status)
        if n % 5 == 0:
            note("agent-desktop", agent.get(reverse("agent:desktop")).status)

    def admin_step(n: int) -> None:
        note(
            "admin-list",
            admin.get(reverse("admin:partitions_clientpartition_changelist")).status,
        )
        target = clients[n % 2]
        url = reverse("admin:partitions_clientpartition_change", args=[target.pk])
        note("admin-change", admin.get(url).status)

    def gateway_step(n: int) -> None:
        if n % 3 == 0:
            record = {
                "service": "Mail",
                "channel": "email",
                "from": f"Soak <soak{n}@example.com>",
                "to": "support@example.com",
                "subject": f"Soak {n}",
                "message_id": f"<soak-{n}@example.com>",
            }
        else:
            record = {
                "service": lines[n % 2].name,
                "channel": "voice",
                "from": f"+8190{n:08d}",
            }
        answer = gateway.post_json(
            reverse("api:interactions"),
            json.dumps(record).encode(),
            {"Authorization": f"Bearer {key}"},
        )
        note("api", answer.status)
        if answer.status == 201:
            body = json.loads(answer.text)
            with lock:
                accepted.append(body["activity_id"])
                if body.get("email_id"):
                    accepted_emails.append(body["email_id"])
        elif answer.status != 200:
            with lock:
                failures.append(f"api {answer.status}: {answer.text[:200]}")

    def toggle_step(n: int) -> None:
        action = "disable_partitions" if n % 2 == 0 else "enable_partitions"
        answer = toggler.post(
            reverse("admin:partitions_clientpartition_changelist"),
            {"action": action, "_selected_action": [c.pk for c in clients]},
        )
        note("admin-toggle", answer.status)
        time.sleep(0.2)  # pacing: a person clicking, not a measurement

    threads = [
        threading.Thread(target=loop, args=("agent", agent_step)),
        threading.Thread(target=loop, args=("admin", admin_step)),
        threading.Thread(target=loop, args=("gateway", gateway_step)),
        threading.Thread(target=loop, args=("gateway-2", gateway_step)),
        threading.Thread(target=loop, args=("toggle", toggle_step)),
    ]
    for thread in threads:
        thread.start()
    stop.wait(SOAK_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(120)

    # then
    server_errors = {k: v for k, v in statuses.items() if k[1] >= 500}
    assert not server_errors, statuses
    assert not failures, failures[:10]
    kinds = {kind for kind, _status in statuses}
    assert kinds >= {"agent-json", "admin-list", "admin-change", "api", "admin-toggle"}
    assert all(status in (200, 201) for _kind, status in statuses), statuses
    assert accepted, "the gateways got nothing through"
    stored = set(Activity.objects.filter(pk__in=accepted).values_list("pk", flat=True))
    assert stored == set(accepted), f"lost: {sorted(set(accepted) - stored)[:10]}"
    assert Email.objects.filter(pk__in=accepted_emails).count() == len(accepted_emails)
    assert Activity.objects.count() - activities_before == len(accepted)
    # The toggling happened while interactions arrived: some went to a client,
    # some (while it was disabled) to none; none was lost either way.
    routed = Activity.objects.filter(pk__in=accepted)
    assert routed.filter(partition__isnull=False).exists()
    print(f"\nsoak {SOAK_SECONDS:.0f} s: {sum(statuses.values())} requests", statuses)
