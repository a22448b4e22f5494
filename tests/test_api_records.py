"""`/api/v1/services/`, `contacts/`, `companies/`, `emails/`, `activities/`,
`audit-entries/` and the gateway alias `interactions/` (issue 15)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ccadmin.models import AuditEntry
from contacts.models import Activity, Contact
from tests import factories
from tests.api_helpers import API, api_client, problem


def send(client, method, url, data):
    return getattr(client, method)(
        url, json.dumps(data), content_type="application/json"
    )


@pytest.fixture
def acme(tenant):
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    factories.ServiceFactory(
        tenant=tenant, name="Acme Line", client_partition=partition
    )
    return partition


def test_service_is_assigned_and_unassigned_through_patch(tenant, admin_user, acme):
    globex = factories.ClientPartitionFactory(tenant=tenant, name="Globex")
    service = acme.services.get()
    client = api_client(admin_user)
    url = f"{API}/services/{service.pk}/"
    assert send(client, "patch", url, {"client_partition": globex.pk}).json()[
        "client_partition"
    ] == (globex.pk)
    service.refresh_from_db()
    assert service.client_partition == globex
    assert send(client, "patch", url, {"client_partition": None}).status_code == 200
    service.refresh_from_db()
    assert service.client_partition is None
    assert AuditEntry.objects.filter(
        object_id=str(service.pk), content_type__model="service", user=admin_user
    ).count() == (2)
    unknown = send(client, "patch", url, {"client_partition": 10**30})
    assert "client_partition" in problem(unknown, 400)["errors"]


def test_services_filter_by_client(tenant, admin_user, acme):
    factories.ServiceFactory(tenant=tenant, name="Spare Line")
    client = api_client(admin_user)
    names = lambda query: [  # noqa: E731
        s["name"] for s in client.get(f"{API}/services/", query).json()["results"]
    ]
    assert names({"client": acme.pk}) == ["Acme Line"]
    assert names({"client": "none"}) == ["Spare Line"]


def test_contacts_are_added_changed_and_found(tenant, admin_user, acme):
    client = api_client(admin_user)
    created = send(
        client,
        "post",
        f"{API}/contacts/",
        {"partition": acme.pk, "first_name": "Hanako", "phone": "090-3141-5926"},
    )
    assert created.status_code == 201, created.content
    contact = Contact.objects.get(pk=created.json()["id"])
    assert contact.phone == "+819031415926"  # normalised by the model
    changed = send(
        client, "patch", f"{API}/contacts/{contact.pk}/", {"last_name": "Yamada"}
    )
    assert changed.json()["last_name"] == "Yamada"
    found = client.get(f"{API}/contacts/", {"search": "09031415926"}).json()
    assert [c["id"] for c in found["results"]] == [contact.pk]
    unclient = send(client, "post", f"{API}/contacts/", {"first_name": "Taro"})
    assert unclient.json()["partition"] is None
    none = client.get(f"{API}/contacts/", {"client": "none"}).json()["results"]
    assert [c["first_name"] for c in none] == ["Taro"]


def test_a_contacts_mobile_is_read_and_written_like_its_phone(tenant, admin_user, acme):
    # given: the API's contacts carry every detail of Contact.DETAIL_FIELDS
    client = api_client(admin_user)
    created = send(
        client,
        "post",
        f"{API}/contacts/",
        {"partition": acme.pk, "first_name": "Hanako", "mobile": "090-3141-5926"},
    )
    assert created.status_code == 201, created.content
    # then: stored in E.164 by the model, and given back
    contact = Contact.objects.get(pk=created.json()["id"])
    assert contact.mobile == "+819031415926"
    assert created.json()["mobile"] == "+819031415926"
    changed = send(
        client, "patch", f"{API}/contacts/{contact.pk}/", {"mobile": "080-1111-2222"}
    )
    assert changed.json()["mobile"] == "+818011112222"


def test_bad_contact_values_are_field_errors(tenant, admin_user, acme):
    client = api_client(admin_user)
    bad = send(client, "post", f"{API}/contacts/", {"email": "not an address"})
    assert "email" in problem(bad, 400)["errors"]
    bad = send(client, "post", f"{API}/contacts/", {"company": "x"})
    assert "company" in problem(bad, 400)["errors"]


def test_client_supervisor_adds_contacts_only_to_their_clients(tenant, acme):
    globex = factories.ClientPartitionFactory(tenant=tenant, name="Globex")
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    client = api_client(supervisor)
    refused = send(
        client, "post", f"{API}/contacts/", {"partition": globex.pk, "first_name": "E"}
    )
    assert "partition" in problem(refused, 400)["errors"]
    refused = send(client, "post", f"{API}/contacts/", {"first_name": "E"})
    problem(refused, 400)
    assert not Contact.objects.filter(first_name="E").exists()


@pytest.mark.parametrize("path", ["companies", "emails", "activities"])
def test_records_list_and_retrieve(tenant, admin_user, acme, path):
    client = api_client(admin_user)
    rows = client.get(f"{API}/{path}/", {"client": acme.pk}).json()["results"]
    assert rows and all(row["partition"] == acme.pk for row in rows)
    one = client.get(f"{API}/{path}/{rows[0]['id']}/")
    assert one.json() == rows[0]
    problem(client.post(f"{API}/{path}/", "{}", content_type="application/json"), 405)


def test_audit_trail_for_those_who_may_view_it(tenant, admin_user, acme):
    agent = factories.agent(tenant)
    problem(api_client(agent).get(f"{API}/audit-entries/"), 403)
    client = api_client(admin_user)
    client.post(f"{API}/client-partitions/{acme.pk}/export/")
    entries = client.get(f"{API}/audit-entries/").json()["results"]
    assert entries[0]["object_repr"] == "Acme"
    assert entries[0]["what"].startswith("Exported")
    assert entries[0]["action"] == "export"


def test_audit_entries_are_filtered_as_in_the_admin(tenant, admin_user, acme):
    from datetime import timedelta

    from django.utils import timezone

    globex = factories.ClientPartitionFactory(tenant=tenant, name="Globex")
    client = api_client(admin_user)
    client.post(f"{API}/client-partitions/{acme.pk}/export/")
    client.patch(
        f"{API}/client-partitions/{globex.pk}/",
        json.dumps({"enabled": False}),
        content_type="application/json",
    )
    hanako = factories.administrator(tenant, username="hanako")
    api_client(hanako)  # her token's creation: an entry of no client, by the system

    def names(**query) -> list[str]:
        response = client.get(f"{API}/audit-entries/", query)
        assert response.status_code == 200, response.content
        return [e["object_repr"] for e in response.json()["results"]]

    assert names(action="export") == ["Acme"]
    assert names(action="change", client=globex.pk) == ["Globex"]
    assert names(client=acme.pk) == ["Acme"]
    assert "Globex" not in names(client="none")
    assert names(user=admin_user.username, client=globex.pk) == ["Globex"]
    assert names(user="nobody") == []
    now = timezone.now()
    assert len(names(since=(now - timedelta(minutes=5)).isoformat())) >= 3
    assert names(since=(now + timedelta(minutes=5)).isoformat()) == []
    assert names(until=(now - timedelta(minutes=5)).isoformat()) == []


@pytest.mark.parametrize(
    "query",
    [
        {"action": "exported"},
        {"since": "yesterday"},
        {"client": "Acme"},
        {"user": "x" * 151},
        {"colour": "red"},
    ],
)
def test_audit_entries_refuse_a_wrong_filter(admin_user, query):
    response = api_client(admin_user).get(f"{API}/audit-entries/", query)
    assert set(problem(response, 400)["errors"]) == set(query)


def test_every_audited_action_has_its_name_in_the_api_and_the_schema(tenant):
    """One table (ccadmin.audit_flags) names the actions for the API, its schema's
    enum and the admin: none is left without a name."""
    from drf_spectacular.generators import SchemaGenerator

    from ccadmin.audit_flags import ACTION_CODES, ACTION_LABELS

    assert set(ACTION_CODES) == set(ACTION_LABELS)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    enum = schema["components"]["schemas"]["ActionEnum"]["enum"]
    assert sorted(enum) == sorted(ACTION_CODES.values())


@pytest.mark.parametrize(
    "path", ["contacts", "services", "activities", "audit-entries"]
)
def test_list_queries_do_not_grow_with_rows(tenant, admin_user, path):
    client = api_client(admin_user)
    client.get(f"{API}/{path}/")  # the token's first use is noted once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/{path}/", {"limit": 200}).status_code == 200
        return len(captured)

    factories.client_with_data(tenant, "Acme", contacts=2)
    factories.ServiceFactory(tenant=tenant, name="Line 1")
    few = queries()
    factories.client_with_data(tenant, "Globex", contacts=20)
    for i in range(10):
        factories.ServiceFactory(tenant=tenant, name=f"Line {i + 2}")
    assert queries() == few


@pytest.mark.parametrize("path", ["/api/interactions/", "/api/v1/interactions/"])
def test_gateway_endpoint_and_its_v1_alias_record_a_call(
    client, tenant, acme, key, path
):
    calls = Activity.objects.filter(partition=acme).count()
    response = client.post(
        path,
        json.dumps({"service": "Acme Line", "channel": "voice", "from": "+8190"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content
    assert Activity.objects.filter(partition=acme).count() == calls + 1


@pytest.mark.parametrize("case", ["field", "not-json", "no-token", "get"])
def test_the_v1_alias_answers_problems_and_the_old_path_its_own_errors(
    client, acme, key, case
):
    """Under /api/v1/ every error is a problem (RFC 9457); /api/interactions/ keeps
    the format the gateways were built on."""
    method, body, headers, status = {
        "field": ("post", {"service": "Acme Line"}, True, 400),
        "not-json": ("post", "{", True, 400),
        "no-token": ("post", {"service": "Acme Line"}, False, 401),
        "get": ("get", None, True, 405),
    }[case]
    data = body if isinstance(body, str) or body is None else json.dumps(body)
    auth = {"Authorization": f"Bearer {key}"} if headers else {}

    def call(path):
        return getattr(client, method)(
            path, data, content_type="application/json", headers=auth
        )

    answer = problem(call(f"{API}/interactions/"), status)
    old = call("/api/interactions/")
    assert old.status_code == status
    assert old["Content-Type"] == "application/json"
    if status == 400:
        assert "errors" in answer and "errors" in old.json()
    else:
        assert old.json()["error"] == answer["detail"]
        header = {401: "WWW-Authenticate", 405: "Allow"}[status]
        assert call(f"{API}/interactions/")[header] == old[header]


def test_a_personal_token_is_not_a_gateway_token(client, tenant, admin_user, acme):
    _token, personal = factories.api_token(admin_user)
    response = client.post(
        f"{API}/interactions/",
        json.dumps({"service": "Acme Line", "channel": "voice", "from": "+8190"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {personal}"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "value", [10**30, "9" * 30, -1, 0, True, 1.5e300, "x", [1], {"id": 1}]
)
def test_references_out_of_range_or_of_the_wrong_type_are_400(
    tenant, admin_user, acme, value
):
    service = acme.services.get()
    response = send(
        api_client(admin_user),
        "patch",
        f"{API}/services/{service.pk}/",
        {"client_partition": value},
    )
    assert "client_partition" in problem(response, 400)["errors"]
