"""POST /api/interactions/: gateways deliver interactions with a per-tenant token."""

import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contacts.models import Activity, Email
from services.models import GatewayToken, hash_gateway_key
from tests import factories

URL = "/api/interactions/"


@pytest.fixture
def acme(tenant):
    return factories.client_with_lines(tenant)


def post(client, data, key=None, **extra):
    if key:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(URL, body, content_type="application/json", **extra)


CALL = {"service": "Acme Line", "channel": "voice", "from": "+81 90-1111-2222"}
EMAIL = {
    "service": "Acme Email",
    "channel": "email",
    "from": "=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>",
    "to": ["acme@cc.example"],
    "subject": "=?iso-2022-jp?b?GyRCSl04MTZiQEE1YRsoQg==?=",
    "body": "本文",
    "message_id": "<api-1@example.jp>",
    "occurred_at": "2026-04-01T09:30:00+09:00",
}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer wrong-key", "Basic dXNlcjpwdw==", "Token {key}"],
)
def test_without_a_valid_token_401_and_nothing_recorded(
    client, acme, key, authorization
):
    extra = {}
    if authorization:
        extra["HTTP_AUTHORIZATION"] = authorization.format(key=key)
    response = post(client, CALL, **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "error" in response.json()
    assert not Activity.objects.exists()


def test_inactive_token_is_refused(client, acme, tenant):
    _token, key = factories.gateway_token(tenant, active=False)
    assert post(client, CALL, key).status_code == 401


def test_call_is_recorded_in_the_client_201_with_ids(client, acme, tenant, key):
    response = post(client, CALL, key)
    assert response.status_code == 201
    data = response.json()
    activity = Activity.objects.get(pk=data["activity_id"])
    assert activity.partition == acme
    assert data["contact_id"] == activity.contact_id
    assert data["email_id"] is None
    assert data["client_partition"] == {"id": acme.pk, "name": "Acme"}
    assert GatewayToken.objects.get().last_used_at is not None


def test_email_with_encoded_words_then_its_duplicate(client, acme, key):
    first = post(client, EMAIL, key)
    assert first.status_code == 201
    email = Email.objects.get(pk=first.json()["email_id"])
    assert (email.subject, email.partition) == ("保険金請求", acme)
    assert email.sender == "山田 太郎 <taro@example.jp>"
    again = post(client, EMAIL, key)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["email_id"] == email.pk
    assert Email.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({**CALL, "service": "Nope"}, ["service"]),
        ({**CALL, "from": "call me"}, ["from"]),
        ({**CALL, "channel": "fax", "from": "??"}, ["channel", "from"]),
        # A bad recipient alone is left out with a note (test_intake_routing).
        ({**EMAIL, "from": "taro", "to": ["x"]}, ["from"]),
        ({**CALL, "occurred_at": "yesterday"}, ["occurred_at"]),
        ({**CALL, "form": "+8190"}, ["__all__"]),
        ({**CALL, "subject": 5}, ["subject"]),
        ("5", ["__all__"]),
        ("{not json", ["__all__"]),
    ],
)
def test_bad_input_is_400_with_field_errors(client, acme, key, data, fields):
    response = post(client, data, key)
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == sorted(fields)
    assert not Activity.objects.exists()


def test_get_is_405(client, key):
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 405


def test_csrf_exempt_for_gateways(acme, key):
    gateway = Client(enforce_csrf_checks=True)
    assert post(gateway, CALL, key).status_code == 201


def test_token_of_tenant_a_cannot_reach_tenant_b(client, acme, tenant, other_tenant):
    theirs = factories.ClientPartitionFactory(tenant=other_tenant, name="Theirs")
    factories.ServiceFactory(
        tenant=other_tenant, name="Their Line", client_partition=theirs
    )
    _token, key_a = factories.gateway_token(tenant)
    response = post(client, {**CALL, "service": "Their Line"}, key_a)
    assert response.status_code == 400
    assert "service" in response.json()["errors"]
    service_b = other_tenant.services.get()
    by_id = post(client, {**CALL, "service": service_b.pk}, key_a)
    assert by_id.status_code == 400
    assert not Activity.objects.exists()


def test_signed_in_agent_without_token_is_401(tenant, acme):
    browser = Client()
    browser.force_login(factories.agent(tenant))
    assert post(browser, CALL).status_code == 401


def test_administrator_creates_a_token_and_sees_the_key_once(
    admin_client, admin_user, tenant, acme
):
    response = admin_client.post(
        "/admin/services/gatewaytoken/add/",
        {"name": "PBX Tokyo", "active": "on"},
        follow=True,
    )
    token = GatewayToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    key = shown[0].rsplit(": ", 1)[1]
    assert token.tenant == tenant
    assert token.key_hash == hash_gateway_key(key)
    assert key not in (token.key_hash, token.key_prefix)
    assert key.startswith(token.key_prefix)
    assert LogEntry.objects.filter(
        object_id=str(token.pk), action_flag=ADDITION, user=admin_user
    ).exists()
    # The key works, and is never shown again.
    assert post(Client(), CALL, key).status_code == 201
    change = admin_client.get(f"/admin/services/gatewaytoken/{token.pk}/change/")
    assert key not in change.text
    assert token.key_prefix in change.text


def test_administrators_see_only_their_tenants_tokens(admin_client, other_tenant):
    theirs, _key = factories.gateway_token(other_tenant, name="Their PBX")
    listing = admin_client.get("/admin/services/gatewaytoken/")
    assert listing.status_code == 200
    assert "Their PBX" not in listing.text
    change = admin_client.get(f"/admin/services/gatewaytoken/{theirs.pk}/change/")
    assert change.status_code == 302


def test_agent_cannot_manage_tokens(tenant):
    browser = Client()
    browser.force_login(factories.agent(tenant))
    response = browser.get("/admin/services/gatewaytoken/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_body_over_the_upload_limit_is_400(client, acme, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = post(client, {**CALL, "body": "x" * 200}, key)
    assert response.status_code == 400
    assert "larger than 100 bytes" in response.json()["errors"]["__all__"][0]
    assert not Activity.objects.exists()


def test_service_provider_creates_a_token_for_a_chosen_tenant(
    provider_client, other_tenant
):
    response = provider_client.post(
        "/admin/services/gatewaytoken/add/",
        {"tenant": other_tenant.pk, "name": "Their PBX", "active": "on"},
    )
    assert response.status_code == 302
    assert GatewayToken.objects.get().tenant == other_tenant


def test_last_used_is_written_at_most_once_a_minute(client, acme, key):
    # given: a first delivery records when the key was used
    post(client, CALL, key)
    first = GatewayToken.objects.get().last_used_at
    # when: the gateway delivers again within the minute
    with CaptureQueriesContext(connection) as again:
        post(client, CALL, key)
    # then: the time is not written again
    assert not any("gatewaytoken" in q["sql"] and "UPDATE" in q["sql"]
                   for q in again.captured_queries)  # fmt: skip
    assert GatewayToken.objects.get().last_used_at == first
    # when: a minute later, it is
    GatewayToken.objects.update(last_used_at=first - timedelta(minutes=2))
    post(client, CALL, key)
    assert GatewayToken.objects.get().last_used_at > first
