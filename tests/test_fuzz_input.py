"""Fuzzing (issue 11, item 9): arbitrary data fed to the interaction JSON parser,
the email parser and the contact importer is either accepted or refused with the
project's clear error (InteractionRejected, ValidationError, ContactImportError);
nothing else is ever raised.

Property-based with hypothesis. Examples per test: CCADMIN_FUZZ_EXAMPLES (200 by
default, enough to find what the first runs found in seconds); no deadline, since a
shared CI machine's timings say nothing about the code.
"""

import csv
import io
import os
from email.message import EmailMessage

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from contacts.imports import ContactImportError, import_contacts
from contacts.models import Contact
from interactions.input import (
    JSON_FIELDS,
    control_character_errors,
    interaction_from_json,
)
from interactions.mail import interaction_from_email
from interactions.routing import InteractionRejected, route_interaction
from tests import factories

EXAMPLES = int(os.environ.get("CCADMIN_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the working copy
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Writing to the database costs more per example: a quarter of the examples.
FUZZ_DB = settings(FUZZ, max_examples=max(EXAMPLES // 4, 10))

FIELDS = list(JSON_FIELDS)
# Text with what hostile input holds: NUL and control characters, encoded words,
# angle brackets, surrogate-free Unicode of every plane.
hostile_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from("\x00\r\n\t<>@\"'=?:;,.+-0123456789aZ漢")),
    st.sampled_from(
        [
            "=?UTF-8?B?5bGx55Sw?= <a@example.com>",
            "=?x-unknown?Q?abc?=",
            "=?UTF-8?B?!!!?=",
            "2026-02-30T25:61:00",
            "+81 90-1234-5678",
            "<@>",
            "\x00",
        ]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | hostile_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(hostile_text, children, max_size=4)
    ),
    max_leaves=12,
)
interaction_objects = st.dictionaries(
    st.sampled_from(FIELDS) | hostile_text, json_values | hostile_text, max_size=9
)


@FUZZ
@given(data=json_values | interaction_objects)
def test_json_parser_accepts_or_rejects_clearly(data):
    try:
        parsed = interaction_from_json(data, default_service="Claims")
    except InteractionRejected as exc:
        assert exc.errors and all(exc.errors.values())
        return
    assert set(parsed) >= {"service", "channel", "sender", "recipients"}


@pytest.fixture
def sakura(db):
    tenant = factories.TenantFactory(name="Sakura BPO", slug="sakura")
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ServiceFactory(tenant=tenant, name="Claims", client_partition=acme)
    return tenant


# Found by this test on PostgreSQL: a NUL in a field reached the database (500);
# now refused by interactions.input.control_character_errors.
@FUZZ_DB
@example(data={"channel": "email", "from": "a@example.com", "subject": "\x00"})
@example(data={"channel": "voice", "from": "+81312345678", "body": "A\x00B"})
@given(data=interaction_objects)
def test_json_interactions_are_recorded_or_rejected_clearly(sakura, data):
    # The whole path of the API and the command: parse, then route and record.
    try:
        route_interaction(
            sakura, **interaction_from_json(data, default_service="Claims")
        )
    except (InteractionRejected, ValidationError):
        pass


header_names = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Delivered-To",
        "Subject",
        "Date",
        "Message-ID",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
        "X-Other",
    ]
)
header_values = st.one_of(
    hostile_text,
    st.sampled_from(
        [
            "multipart/alternative; boundary=b",
            "multipart/mixed",
            "text/html; charset=x-unknown",
            "text/plain; charset=iso-2022-jp",
            "base64",
            "quoted-printable",
            "Tue, 31 Feb 2026 99:99:99 +9999",
            "Mon, 1 Jan 0001 00:00:00 -2400",
            "<a@b> <c@d>",
            "Undisclosed recipients:;",
            "=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= <x@example.jp>",
        ]
    ),
)
bodies = st.one_of(
    st.binary(max_size=300),
    hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.just(b"--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b--\r\n"),
    st.just(b"=E3=81=82=ZZ\r\n"),
    st.just(b"!!!notbase64"),
)


def _raw_email(headers, body: bytes) -> bytes:
    lines = b"".join(
        name.encode() + b": " + value.encode("utf-8", "surrogatepass") + b"\r\n"
        for name, value in headers
    )
    return lines + b"\r\n" + body


def _parse_clearly(data: bytes) -> None:
    try:
        parsed = interaction_from_email(data, service="Claims")
    except InteractionRejected as exc:
        assert exc.errors and all(exc.errors.values())
        return
    assert parsed["channel"] == "email"
    assert isinstance(parsed["body"], str)
    assert isinstance(parsed["subject"], str)
    # Whatever came in, the texts are storable: no NUL, control character or
    # lone surrogate is left (each removal is noted instead).
    assert not control_character_errors(
        {key: parsed[key] for key in ("sender", "sender_name", "recipients",
                                      "subject", "body", "message_id")}
    )  # fmt: skip
    assert (
        parsed["raw_source"] == data
        or b"X-Ccadmin-Content-Removed" in (parsed["raw_source"])
    )


@FUZZ
@given(
    headers=st.lists(st.tuples(header_names, header_values), max_size=8), body=bodies
)
def test_email_parser_on_arbitrary_bytes_accepts_or_rejects_clearly(headers, body):
    _parse_clearly(_raw_email(headers, body))


@FUZZ
@given(data=st.binary(max_size=600))
def test_email_parser_on_random_bytes_accepts_or_rejects_clearly(data):
    _parse_clearly(data)


@FUZZ
@given(
    headers=st.lists(st.tuples(header_names, hostile_text), max_size=6),
    body=hostile_text,
    html=st.booleans(),
)
def test_email_parser_on_built_messages_accepts_or_rejects_clearly(headers, body, html):
    # Messages as a library builds them (email.message.EmailMessage), not only as
    # they are read: its header objects are the ones the parser reads.
    message = EmailMessage()
    for name, value in headers:
        try:
            message[name] = value
        except (ValueError, TypeError, IndexError, AttributeError):
            assume(False)  # the library itself refuses to build this header
    try:
        message.set_content(body, subtype="html" if html else "plain")
        data = message.as_bytes()
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        assume(False)  # the library itself cannot write this message
    _parse_clearly(data)


@FUZZ_DB
@given(data=st.binary(max_size=800))
def test_contact_import_of_arbitrary_bytes_accepts_or_refuses_clearly(sakura, data):
    _import_clearly(sakura, data)


cells = st.one_of(
    hostile_text,
    st.sampled_from(
        ["=1+1", "'=1", "+81312345678", "a@example.com", "Acme", "x" * 101, "", "\x00"]
    ),
)


@FUZZ_DB
# Found by this test on PostgreSQL: a NUL in a cell failed the whole COPY with a 500.
@example(header=["first name", "company"], rows=[["A\x00B", ""], ["C", "X\x00"]])
@given(
    header=st.lists(
        st.sampled_from(
            ["first name", "last name", "email", "phone", "company", "title", "id"]
        )
        | hostile_text,
        min_size=1,
        max_size=7,
    ),
    rows=st.lists(st.lists(cells, max_size=8), max_size=8),
)
def test_contact_import_of_arbitrary_rows_accepts_or_refuses_clearly(
    sakura, header, rows
):
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    _import_clearly(sakura, text.getvalue().encode("utf-8", "surrogatepass"))


def _import_clearly(tenant, data: bytes) -> None:
    before = Contact.objects.count()
    try:
        result = import_contacts(
            io.BytesIO(data), tenant=tenant, partition=None, actor=None
        )
    except ContactImportError as exc:
        assert str(exc)
        assert Contact.objects.count() == before  # refused whole: nothing written
        return
    assert result.imported + result.refused == result.rows or result.kept_nothing
    assert Contact.objects.count() == before + result.imported
