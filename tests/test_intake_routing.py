"""Issue 17 (intake fidelity), routing's part: every call is logged (withheld caller
IDs, tel: URIs), an interaction without a sender goes to its client's "Unknown
sender", headers that do not decide routing are recorded with a note instead of
refusing, and an email's raw source and attachments are kept."""

import zlib
from datetime import UTC, datetime
from email.utils import getaddresses

import pytest
from django.contrib.admin.models import LogEntry

from contacts.models import Activity, Contact, Email, EmailSource
from interactions.routing import (
    InteractionRejected,
    route_interaction,
    route_interactions,
)
from tests import factories

WITHHELD = Contact.Placeholder.WITHHELD
UNKNOWN = Contact.Placeholder.UNKNOWN_SENDER


@pytest.fixture
def acme(tenant):
    return factories.client_with_lines(tenant)


@pytest.fixture
def globex(tenant):
    return factories.client_with_lines(tenant, "Globex")


def call(tenant, sender="+81 90-1111-2222", service="Acme Line", **kw):
    return route_interaction(
        tenant, service=service, channel="voice", sender=sender, **kw
    )


def mail(tenant, **kw):
    fields = {
        "service": "Acme Email",
        "channel": "email",
        "sender": "Taro <taro@example.jp>",
        "recipients": ["acme@cc.example"],
        "subject": "Claim",
        "body": "Hello",
        "message_id": "<m1@example.jp>",
        "occurred_at": datetime(2026, 4, 1, tzinfo=UTC),
    }
    fields.update(kw)
    return route_interaction(tenant, **fields)


@pytest.mark.parametrize(
    "caller",
    [
        {"sender": "anonymous"},
        {"sender": "Anonymous"},
        {"sender": "sip:anonymous@anonymous.invalid"},
        {"sender": "非通知"},
        {"sender": "", "withheld": True},
        # The caller chose to withhold it: a number that came anyway is not kept.
        {"sender": "+81 90 1111 2222", "withheld": True},
    ],
)
def test_a_withheld_call_is_logged_against_the_clients_withheld_number(
    tenant, acme, caller
):
    routed = call(tenant, **caller)

    contact = Contact.objects.get(pk=routed.contact_id)
    assert contact.placeholder == WITHHELD
    assert (contact.partition, contact.phone, contact.email) == (acme, "", "")
    assert str(contact) == "Withheld number"
    assert Activity.objects.get(pk=routed.activity_id).contact == contact


def test_one_withheld_number_contact_per_client(tenant, acme, globex):
    first = call(tenant, "anonymous")
    second = call(tenant, "", withheld=True)
    other = call(tenant, "anonymous", service="Globex Line")

    assert first.contact_id == second.contact_id
    assert other.contact_id != first.contact_id
    assert Contact.objects.get(pk=other.contact_id).partition == globex
    assert Contact.objects.filter(placeholder=WITHHELD).count() == 2
    # The contact was created once, audited once, as any new sender.
    assert LogEntry.objects.filter(object_id=str(first.contact_id)).count() == 1


def test_withheld_calls_of_one_batch_share_the_contact(tenant, acme):
    items = [
        {"service": "Acme Line", "channel": "voice", "sender": "anonymous"},
        {"service": "Acme Line", "channel": "voice", "sender": "private"},
        {"service": "Acme Line", "channel": "voice", "sender": "", "withheld": True},
    ]
    outcomes = route_interactions(tenant, items)
    assert len({outcome.contact_id for outcome in outcomes}) == 1
    assert Contact.objects.count() == 1


def test_a_withheld_number_is_not_a_real_callers_contact(tenant, acme):
    known = call(tenant, "+81 90 1111 2222")
    withheld = call(tenant, "anonymous")
    assert known.contact_id != withheld.contact_id


@pytest.mark.parametrize(
    "uri",
    [
        "tel:+81-90-1111-2222",
        "TEL:090-1111-2222",
        "tel:09011112222;phone-context=+81",
        "sip:+819011112222@pbx.example;user=phone",
    ],
)
def test_tel_and_sip_uris_are_numbers(tenant, acme, uri):
    known = call(tenant, "090-1111-2222")
    routed = call(tenant, uri)
    assert routed.contact_id == known.contact_id
    assert Contact.objects.get(pk=routed.contact_id).phone == "+819011112222"


def test_a_tel_uri_keeps_its_extension_as_another_line(tenant, acme):
    routed = call(tenant, "tel:+81-3-1234-5678;ext=12")
    assert Contact.objects.get(pk=routed.contact_id).phone == "+81312345678;ext=12"


def test_an_email_without_sender_goes_to_the_clients_unknown_sender(tenant, acme):
    routed = mail(tenant, sender="")
    again = mail(tenant, sender="", message_id="<m2@example.jp>")

    contact = Contact.objects.get(pk=routed.contact_id)
    assert (contact.placeholder, contact.partition) == (UNKNOWN, acme)
    assert str(contact) == "Unknown sender"
    assert again.contact_id == contact.pk
    assert Email.objects.get(pk=routed.email_id).sender == ""


def test_without_sender_and_without_service_it_is_refused_for_both(tenant, acme):
    with pytest.raises(InteractionRejected) as rejected:
        mail(tenant, sender="", service="", recipients=["nobody@else.example"])
    assert set(rejected.value.errors) == {"service", "from"}
    assert rejected.value.errors["from"] == ["The sender is missing."]
    assert not Contact.objects.exists()


def test_bad_recipients_are_left_out_with_a_note_not_refused(tenant, acme):
    routed = mail(
        tenant, recipients=["XX", "sales@", "acme@cc.example", "Acme@CC.example"]
    )

    email = Email.objects.get(pk=routed.email_id)
    # Each address once, whatever its case (Delivered-To repeating To).
    assert email.recipients == "acme@cc.example"
    assert email.notes == (
        "Not an email address, left out of the recipients: XX, sales@."
    )
    assert routed.notes == (email.notes,)


def test_a_subject_too_long_is_cut_with_a_note(tenant, acme):
    routed = mail(tenant, subject="あ" * 1200)

    email = Email.objects.get(pk=routed.email_id)
    assert email.subject == "あ" * 998
    assert "1,200 characters" in email.notes
    assert "first 998" in email.notes


def test_a_message_id_too_long_is_cut_and_still_finds_the_duplicate(tenant, acme):
    long_id = "<" + "x" * 1100 + "@example.jp>"
    first = mail(tenant, message_id=long_id)
    again = mail(tenant, message_id=long_id)

    assert len(Email.objects.get(pk=first.email_id).message_id) == 998
    assert again.duplicate and again.email_id == first.email_id
    assert "message ID" in first.notes[0]


def test_the_inputs_notes_are_stored_with_the_email(tenant, acme):
    routed = mail(tenant, notes=["The Date header 'soon' is not a date."])
    email = Email.objects.get(pk=routed.email_id)
    assert email.notes == "The Date header 'soon' is not a date."


def test_the_raw_source_is_stored_compressed_with_the_email(tenant, acme):
    raw = b"From: taro@example.jp\r\nSubject: Claim\r\n\r\n" + b"Hello\r\n" * 500
    routed = mail(tenant, raw_source=raw)

    source = EmailSource.objects.get(email_id=routed.email_id)
    assert source.raw() == raw
    assert source.size == len(raw)
    assert len(bytes(source.compressed)) < len(raw) / 10
    assert zlib.decompress(bytes(source.compressed)) == raw


def test_a_batch_stores_each_emails_source(tenant, acme):
    items = [
        {
            "service": "Acme Email",
            "channel": "email",
            "sender": f"c{n}@example.jp",
            "message_id": f"<b{n}@example.jp>",
            "raw_source": f"Subject: {n}\r\n\r\nbody {n}\r\n".encode(),
        }
        for n in range(3)
    ] + [{"service": "Acme Line", "channel": "voice", "sender": "+81 90 0000 0000"}]
    outcomes = route_interactions(tenant, items)

    for n, outcome in enumerate(outcomes[:3]):
        raw = EmailSource.objects.get(email_id=outcome.email_id).raw()
        assert raw == f"Subject: {n}\r\n\r\nbody {n}\r\n".encode()
    assert EmailSource.objects.count() == 3


def test_attachments_and_html_are_recorded_and_name_an_empty_email(tenant, acme):
    attachments = [
        {"name": "claim.pdf", "type": "application/pdf", "size": 4096, "kept": True}
    ]
    routed = mail(
        tenant, subject="", body="", body_html="<p>x</p>", attachments=attachments
    )

    email = Email.objects.get(pk=routed.email_id)
    assert email.attachments == attachments
    assert email.body_html == "<p>x</p>"
    activity = Activity.objects.get(pk=routed.activity_id)
    assert activity.summary == "Attachments: claim.pdf"


def test_deleting_the_email_deletes_its_source(tenant, acme):
    routed = mail(tenant, raw_source=b"Subject: x\r\n\r\nx\r\n")
    Email.objects.filter(pk=routed.email_id).delete()
    assert not EmailSource.objects.exists()


def test_a_sender_name_with_a_comma_is_stored_quoted_as_one_address(tenant, acme):
    routed = mail(tenant, sender="", sender_name="Müller, Zoë")
    assert Email.objects.get(pk=routed.email_id).sender == "Müller, Zoë"
    routed = mail(
        tenant,
        sender="zoe@bücher.example",
        sender_name="Müller, Zoë",
        message_id="<m2@example.jp>",
    )
    stored = Email.objects.get(pk=routed.email_id).sender
    assert stored == '"Müller, Zoë" <zoe@bücher.example>'
    assert getaddresses([stored]) == [("Müller, Zoë", "zoe@bücher.example")]


@pytest.mark.parametrize(
    "address", ["private@customer.example", "unknown@shop.example", "anonymous@x.jp"]
)
def test_a_chat_from_an_address_that_reads_like_withheld_is_that_person(
    tenant, acme, address
):
    routed = route_interaction(
        tenant, service="Acme Line", channel="chat", sender=address
    )
    contact = Contact.objects.get(pk=routed.contact_id)
    assert (contact.placeholder, contact.email) == ("", address)


def test_rfc_3325_anonymous_identity_is_withheld_in_any_form(tenant, acme):
    for sender in ("anonymous@anonymous.invalid", "sips:anonymous@anonymous.invalid"):
        routed = call(tenant, sender)
        assert Contact.objects.get(pk=routed.contact_id).placeholder == WITHHELD
