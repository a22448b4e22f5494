"""`/api/v1/client-partitions/` (issue 15): everything the `partitions` command does,
through the API and a personal token, with the admin's rules and messages."""

import io
import json
import zipfile

import pytest
from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ccadmin.models import AuditEntry
from partitions.models import ClientPartition
from tests import factories
from tests.api_helpers import API, api_client, problem

PARTITIONS = f"{API}/client-partitions/"
QUESTION = (
    "Are you absolutely sure you want to delete {} including all contacts, emails, "
    "activity history belonging to this client?"
)


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_a_script_does_everything_the_partitions_command_does(tenant, admin_user):
    """Done when (issue 15): add within the limit, refused at it, list, enable,
    disable, delete with confirmation and export, with the API alone."""
    tenant.client_partition_limit = 2
    tenant.save()
    script = api_client(admin_user)

    # add, within the limit
    acme = post(script, PARTITIONS, {"name": "Acme", "description": "Insurance"})
    assert acme.status_code == 201, acme.content
    acme = acme.json()
    assert (acme["name"], acme["enabled"]) == ("Acme", True)
    globex = post(script, PARTITIONS, {"name": "Globex", "enabled": False})
    assert globex.status_code == 201
    assert script.get(f"{PARTITIONS}usage/").json() == {"used": 2, "limit": 2}

    # refused at the limit, with the admin's message; nothing added
    refused = problem(post(script, PARTITIONS, {"name": "Initech"}), 409)
    assert "2 of 2 client partitions used" in refused["detail"]
    assert (refused["used"], refused["limit"]) == (2, 2)
    assert not ClientPartition.objects.filter(name="Initech").exists()

    # list, filtered
    names = [p["name"] for p in script.get(PARTITIONS).json()["results"]]
    assert names == ["Acme", "Globex"]
    disabled = script.get(PARTITIONS, {"enabled": "false"}).json()["results"]
    assert [p["name"] for p in disabled] == ["Globex"]

    # enable, disable
    url = f"{PARTITIONS}{globex.json()['id']}/"
    assert patch(script, url, {"enabled": True}).json()["enabled"] is True
    assert patch(script, url, {"enabled": False}).json()["enabled"] is False
    assert ClientPartition.objects.get(name="Globex").enabled is False

    # export: the command's zip, audited
    exported = script.post(f"{PARTITIONS}{acme['id']}/export/")
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(exported.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["client_partition"]["name"] == "Acme"
    assert AuditEntry.objects.filter(
        object_repr="Acme", change_message__contains="Exported"
    ).exists()

    # delete: refused without the exact name, with the spec's sentence and counts
    url = f"{PARTITIONS}{acme['id']}/"
    for confirm in [None, "acme", "Acme "]:
        query = "" if confirm is None else f"?confirm={confirm}"
        asked = problem(script.delete(url + query), 400)
        assert asked["detail"].startswith(QUESTION.format("Acme"))
        assert asked["contacts"] == 0 and "confirm" in asked["errors"]
    assert ClientPartition.objects.filter(name="Acme").exists()
    assert script.delete(url + "?confirm=Acme").status_code == 204
    assert not ClientPartition.objects.filter(name="Acme").exists()
    assert script.get(url).status_code == 404

    # and a place is free again
    assert post(script, PARTITIONS, {"name": "Initech"}).status_code == 201


def test_create_and_change_are_audited_as_the_caller(tenant, admin_user):
    script = api_client(admin_user)
    created = post(script, PARTITIONS, {"name": "Acme"}).json()
    patch(script, f"{PARTITIONS}{created['id']}/", {"description": "Car insurance"})
    entries = AuditEntry.objects.filter(
        object_id=str(created["id"]), content_type__model="clientpartition"
    )
    assert {(e.user_id, e.action_flag) for e in entries} == {
        (admin_user.pk, ADDITION),
        (admin_user.pk, CHANGE),
    }


def test_duplicate_name_is_a_field_error(tenant, admin_user):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    body = problem(post(api_client(admin_user), PARTITIONS, {"name": "ACME"}), 400)
    assert "already exists" in body["errors"]["name"][0]


@pytest.mark.parametrize(
    "data, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 1000}, "name"),
        ({"name": "Acme", "enabled": "perhaps"}, "enabled"),
        ({"name": ["Acme"]}, "name"),
        ({"name": "A\x00B"}, "name"),
        ({"name": "Acme", "description": {"a": 1}}, "description"),
    ],
)
def test_bad_values_are_400_problems_with_the_field(tenant, admin_user, data, field):
    body = problem(post(api_client(admin_user), PARTITIONS, data), 400)
    assert field in body["errors"]
    assert not ClientPartition.objects.exists()


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("post", "client-partitions/", "{not json"),
        ("post", "client-partitions/", "[1, 2]"),
        ("post", "client-partitions/", "null"),
        ("get", "client-partitions/?cursor=%00", None),
        ("get", "client-partitions/?cursor=bad", None),
        ("get", "client-partitions/?limit=0", None),
        ("get", "client-partitions/?limit=abc", None),
        ("get", "client-partitions/?enabled=perhaps", None),
        ("get", "client-partitions/?sort=name", None),
        ("get", "client-partitions/?search=" + "x" * 300, None),
        ("get", "client-partitions/99999999999999999999999999/", None),
        ("get", "client-partitions/-1/", None),
        ("get", "contacts/?client=x", None),
        ("get", "nothing-here/", None),
        ("patch", "client-partitions/1/", "{"),
        ("put", "client-partitions/1/", "{}"),
    ],
)
def test_no_input_gets_a_500(tenant, admin_user, method, url, body):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme", pk=1)
    client = api_client(admin_user)
    kwargs = {"content_type": "application/json"} if body is not None else {}
    args = [body] if body is not None else []
    response = getattr(client, method)(f"{API}/{url}", *args, **kwargs)
    assert response.status_code in (400, 404, 405), response.content
    problem(response, response.status_code)


def test_forged_cursor_position_is_refused(tenant, admin_user):
    import base64

    forged = base64.b64encode(b"p=abc").decode()
    response = api_client(admin_user).get(PARTITIONS, {"cursor": forged})
    assert problem(response, 400)["errors"]["cursor"]


def test_pages_follow_the_cursor(tenant, admin_user):
    for i in range(5):
        factories.ClientPartitionFactory(tenant=tenant, name=f"Client {i}")
    client = api_client(admin_user)
    page = client.get(PARTITIONS, {"limit": 2}).json()
    names = [p["name"] for p in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        names += [p["name"] for p in page["results"]]
    assert names == [f"Client {i}" for i in range(5)]


def test_search_and_usage(tenant, admin_user):
    for name in ["Acme", "Globex", "Acme Travel"]:
        factories.ClientPartitionFactory(tenant=tenant, name=name)
    client = api_client(admin_user)
    found = client.get(PARTITIONS, {"search": "acme"}).json()["results"]
    assert [p["name"] for p in found] == ["Acme", "Acme Travel"]
    assert client.get(f"{PARTITIONS}usage/").json() == {"used": 3, "limit": 20}


def test_deletion_preview_gives_the_counts_and_services(tenant, admin_user):
    acme = factories.client_with_data(tenant, "Acme", contacts=3)
    line = factories.ServiceFactory(tenant=tenant, name="Line", client_partition=acme)
    body = api_client(admin_user).get(f"{PARTITIONS}{acme.pk}/deletion-preview/")
    assert body.status_code == 200
    body = body.json()
    assert body["question"] == QUESTION.format("Acme")
    assert (body["contacts"], body["services_unassigned"]) == (
        3,
        [{"id": line.pk, "name": "Line"}],
    )


def test_large_client_is_scheduled_202(tenant, admin_user, settings):
    settings.CLIENT_PARTITION_BACKGROUND_DELETE_ROWS = 2
    acme = factories.client_with_data(tenant, "Acme", contacts=3)
    response = api_client(admin_user).delete(f"{PARTITIONS}{acme.pk}/?confirm=Acme")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "deleting"
    acme.refresh_from_db()
    assert acme.is_deleting and not acme.enabled
    # Read-only while it goes: enabling it again is a conflict.
    again = patch(api_client(admin_user), f"{PARTITIONS}{acme.pk}/", {"enabled": True})
    assert "being deleted" in problem(again, 409)["detail"]


def test_legal_hold_refuses_the_delete_409(tenant, admin_user):
    acme = factories.ClientPartitionFactory(
        tenant=tenant, name="Acme", legal_hold=True, legal_hold_reason="Lawsuit"
    )
    response = api_client(admin_user).delete(f"{PARTITIONS}{acme.pk}/?confirm=Acme")
    assert "legal hold" in problem(response, 409)["detail"]
    assert ClientPartition.objects.filter(pk=acme.pk).exists()


def test_without_credentials_401_with_the_bearer_challenge(client, tenant):
    response = client.get(PARTITIONS)
    problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("state", ["revoked", "expired", "wrong", "gateway"])
def test_a_key_that_cannot_be_used_is_401(client, tenant, admin_user, state):
    from datetime import timedelta

    from django.utils import timezone

    past = timezone.now() - timedelta(days=1)
    fields = {"revoked": {"revoked_at": past}, "expired": {"expires_at": past}}
    _token, key = factories.api_token(admin_user, **fields.get(state, {}))
    if state == "wrong":
        key = key[:-4] + "0000"
    if state == "gateway":
        key = factories.gateway_token(tenant)[1]
    response = client.get(PARTITIONS, headers={"Authorization": f"Bearer {key}"})
    problem(response, 401)


def test_a_token_acts_with_its_persons_permissions(tenant):
    supervisor = factories.client_supervisor(tenant)
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    supervisor.membership.client_partitions.add(acme)
    supervisor.user_permissions.add(
        Permission.objects.get(codename="view_clientpartition")
    )
    script = api_client(supervisor)
    assert script.get(PARTITIONS).status_code == 200
    problem(post(script, PARTITIONS, {"name": "Globex"}), 403)
    assert not ClientPartition.objects.filter(name="Globex").exists()


def test_japanese_problems(tenant, admin_user):
    tenant.client_partition_limit = 0
    tenant.save()
    client = api_client(admin_user)
    response = client.post(
        PARTITIONS,
        json.dumps({"name": "Acme"}),
        content_type="application/json",
        headers={"Accept-Language": "ja"},
    )
    body = problem(response, 409)
    assert body["title"] != "Client partition limit reached"
    assert body["detail"].endswith("。")


def test_list_costs_the_same_queries_for_3_or_30_partitions(tenant, admin_user):
    client = api_client(admin_user)
    # The token's first use is noted (one UPDATE, then at most once a minute).
    client.get(PARTITIONS)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PARTITIONS, {"limit": 100}).status_code == 200
        return len(captured)

    for i in range(3):
        factories.ClientPartitionFactory(tenant=tenant, name=f"A {i}")
    few = queries()
    for i in range(27):
        factories.ClientPartitionFactory(tenant=tenant, name=f"B {i}")
    assert queries() == few


def test_an_offboarding_client_is_read_only_409(tenant, admin_user):
    from partitions import actions

    acme = factories.client_with_data(tenant, "Acme", contacts=1)
    actions.offboard_client_partition(acme, grace_days=5, actor=admin_user)
    response = patch(api_client(admin_user), f"{PARTITIONS}{acme.pk}/", {"name": "B"})
    assert "offboarded" in problem(response, 409)["detail"]
    acme.refresh_from_db()
    assert acme.name == "Acme"


def test_usage_of_the_service_provider_names_the_tenant(tenant, provider):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    client = api_client(provider)
    assert "tenant" in problem(client.get(f"{PARTITIONS}usage/"), 400)["errors"]
    usage = client.get(f"{PARTITIONS}usage/", {"tenant": tenant.pk})
    assert usage.json() == {"used": 1, "limit": 20}
    problem(client.get(f"{PARTITIONS}usage/", {"tenant": 10**17}), 404)


def test_usage_is_not_for_members_of_chosen_clients(tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    problem(api_client(supervisor).get(f"{PARTITIONS}usage/"), 403)


def test_a_member_cannot_ask_for_another_tenants_usage(
    tenant, other_tenant, admin_user
):
    response = api_client(admin_user).get(
        f"{PARTITIONS}usage/", {"tenant": other_tenant.pk}
    )
    assert "tenant" in problem(response, 400)["errors"]


@pytest.mark.parametrize("values", [["Acme", "Acme"], ["Wrong", "Acme"]])
def test_a_confirmation_given_twice_is_refused(tenant, admin_user, values):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    query = "&".join(f"confirm={value}" for value in values)
    response = api_client(admin_user).delete(f"{PARTITIONS}{acme.pk}/?{query}")
    body = problem(response, 400)
    assert body["errors"] == {"confirm": ["Give this parameter once."]}
    assert ClientPartition.objects.filter(pk=acme.pk).exists()
