"""Issue 10, item 3: POST /api/interactions/ with a JSON array routes a batch, one
result per item in order, each on its own, with set-based queries."""

import json

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Activity, Contact, Email
from interactions.routing import InteractionRejected, route_interactions
from tests import factories
from tests.test_api import CALL, EMAIL, post


@pytest.fixture
def acme(tenant):
    """A client with a phone line and an email service (as in test_api)."""
    return factories.client_with_lines(tenant)


def test_a_batch_answers_each_item_in_order_with_its_own_status(client, acme, key):
    post(client, {**EMAIL, "message_id": "<seen@x>"}, key)
    batch = [
        CALL,
        EMAIL,
        {**CALL, "service": "Nope"},
        {**EMAIL, "message_id": "<seen@x>"},
        "not an object",
        {**CALL, "from": "+81 90 3333 4444", "channel": "fax"},
    ]

    response = post(client, batch, key)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 400, 200, 400, 400]
    call, email, unknown, duplicate, not_object, bad_channel = results
    activity = Activity.objects.get(pk=call["activity_id"])
    assert (activity.contact_id, activity.partition) == (call["contact_id"], acme)
    assert call["client_partition"] == {"id": acme.pk, "name": "Acme"}
    assert call["service"] == "Acme Line" and call["duplicate"] is False
    assert Email.objects.get(pk=email["email_id"]).subject == "保険金請求"
    assert list(unknown["errors"]) == ["service"]
    assert duplicate["duplicate"] is True
    assert duplicate["email_id"] == Email.objects.get(message_id="<seen@x>").pk
    assert list(not_object["errors"]) == ["__all__"]
    assert list(bad_channel["errors"]) == ["channel"]
    # the good ones recorded, the bad ones not
    assert Activity.objects.count() == 3  # the earlier email, the call, the email


def test_one_message_id_twice_in_a_batch_is_recorded_once(client, acme, key):
    response = post(client, [EMAIL, EMAIL, CALL], key)

    first, again, call = response.json()["results"]
    assert (first["status"], again["status"], call["status"]) == (201, 200, 201)
    assert again["email_id"] == first["email_id"] and again["duplicate"] is True
    assert Email.objects.count() == 1
    assert Activity.objects.count() == 2


def test_a_new_sender_twice_in_a_batch_is_one_contact(client, acme, key):
    response = post(client, [CALL, CALL, {**CALL, "from": "090-1111-2222"}], key)

    contacts = {r["contact_id"] for r in response.json()["results"]}
    assert len(contacts) == 1
    assert Contact.objects.get().phone == "+819011112222"
    assert Activity.objects.count() == 3


def test_more_than_500_items_is_400_and_records_nothing(client, acme, key):
    response = post(client, [CALL] * 501, key)

    assert response.status_code == 400
    [message] = response.json()["errors"]["__all__"]
    assert "at most 500" in message and "501" in message
    assert not Activity.objects.exists()


def test_500_items_are_accepted(client, acme, key):
    response = post(client, [CALL] * 500, key)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 500
    assert Activity.objects.count() == 500


def test_an_empty_batch_answers_no_results(client, acme, key):
    response = post(client, [], key)
    assert (response.status_code, response.json()) == (200, {"results": []})


@pytest.mark.parametrize("field", ["from", "subject", "body", "message_id", "service"])
def test_a_nul_or_control_character_is_400_naming_the_field(client, acme, key, field):
    single = post(client, {**EMAIL, field: "bad\x00value"}, key)
    batch = post(client, [CALL, {**EMAIL, field: "bad\x1bvalue"}], key)

    assert single.status_code == 400
    assert field in single.json()["errors"]
    call, bad = batch.json()["results"]
    assert (call["status"], bad["status"]) == (201, 400)
    assert field in bad["errors"]
    assert Activity.objects.count() == 1


def test_json_nested_too_deep_is_400_not_500(client, acme, key):
    response = post(client, "[" * 100_000 + "]" * 100_000, key)
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["errors"]["__all__"][0]


def test_a_batch_body_over_the_upload_limit_is_400(client, acme, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, [CALL] * 50, key)
    assert response.status_code == 400
    assert "larger than 1000 bytes" in response.json()["errors"]["__all__"][0]
    assert not Activity.objects.exists()


def _queries(client, key, body) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = post(client, body, key)
    return len(queries), response


def test_a_batch_costs_about_as_many_queries_as_one_item(client, tenant, acme, key):
    # given: 50 known callers and 50 known email senders of the client
    callers = [
        factories.ContactFactory(tenant=tenant, partition=acme, phone=f"0901111{i:04d}")
        for i in range(50)
    ]
    calls = [{**CALL, "from": c.phone} for c in callers]
    emails = [
        {**EMAIL, "from": c.email, "message_id": f"<b{i}@x>"}
        for i, c in enumerate(callers)
    ]

    # when
    one_call, _r = _queries(client, key, [calls[0]])
    fifty_calls, response = _queries(client, key, calls[1:])
    one_email, _r = _queries(client, key, [emails[0]])
    fifty_emails, _r = _queries(client, key, emails[1:])

    # then: set-based, not one query per field per item
    assert {r["status"] for r in response.json()["results"]} == {201}
    assert fifty_calls <= one_call + 3, (one_call, fifty_calls)
    assert fifty_emails <= one_email + 3, (one_email, fifty_emails)
    assert Contact.objects.count() == 50


def test_new_senders_cost_only_their_contacts(client, tenant, acme, key):
    one, _r = _queries(client, key, [{**CALL, "from": "090-2222-0000"}])
    batch = [{**CALL, "from": f"090-2222-{i:04d}"} for i in range(1, 51)]
    fifty, _r = _queries(client, key, batch)

    assert Contact.objects.count() == 51
    # New contacts too are written set-based: one INSERT, one of audit entries.
    assert fifty <= one + 3, (one, fifty)
    assert LogEntry.objects.filter(action_flag=ADDITION).count() == 51


@pytest.mark.postgresql
def test_an_item_the_database_refuses_is_refused_alone(tenant, acme):
    # given: a body PostgreSQL cannot store (NUL), which no input check caught
    items = [
        {"service": "Acme Line", "channel": "voice", "sender": "090-1111-0001"},
        {
            "service": "Acme Email",
            "channel": "email",
            "sender": "a@example.jp",
            "body": "nul \x00 here",
            "message_id": "<nul@x>",
        },
        {"service": "Acme Line", "channel": "voice", "sender": "090-1111-0003"},
    ]

    outcomes = route_interactions(tenant, items)

    assert isinstance(outcomes[1], InteractionRejected)
    assert [o.activity_id is not None for o in (outcomes[0], outcomes[2])] == [
        True,
        True,
    ]
    assert Activity.objects.count() == 2
    # nothing of the refused one is left half-written, not even its new contact
    assert not Contact.objects.filter(email="a@example.jp").exists()
    assert not Email.objects.exists()


def test_the_single_answer_is_unchanged(client, acme, key):
    response = post(client, CALL, key)
    assert response.status_code == 201
    assert set(response.json()) == {
        "activity_id",
        "email_id",
        "contact_id",
        "service",
        "client_partition",
        "duplicate",
        "notes",
    }
    assert json.loads(response.content)["duplicate"] is False


def test_a_sender_no_contact_can_hold_is_refused_alone(client, acme, key):
    # A valid address longer than a contact's email field (254): the model's rule
    # refuses the new contact, naming "from"; the rest of the batch is recorded.
    long_address = "a" * 250 + "@example.jp"
    response = post(client, [CALL, {**EMAIL, "from": long_address}, EMAIL], key)

    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == [201, 400, 201], response.json()
    assert "from" in response.json()["results"][1]["errors"]
    assert not Contact.objects.filter(email=long_address).exists()
    assert Activity.objects.count() == 2
