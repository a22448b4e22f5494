"""Hostile and broken incoming interactions (issue 10, item 4): each bad record is
refused alone, with its place in the file and the reason naming the field; every
valid record around it is kept; the command ends non-zero with a summary, never a
traceback. The rules are interactions/input.py's, shared by the files and the API.
"""

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from contacts.models import Activity, Contact, Email
from interactions.input import (
    JSON_MAX_DEPTH,
    control_character_errors,
    load_json,
    occurred_at_errors,
)
from interactions.mail import interaction_from_email
from interactions.routing import InteractionRejected
from tests import factories


@pytest.fixture
def mail(tenant):
    return factories.ServiceFactory(tenant=tenant, name="Mail", type="email")


@pytest.fixture
def line(tenant):
    return factories.ServiceFactory(tenant=tenant, name="Line")


def receive(tenant, *paths: Path, service: str = "") -> tuple[str, str]:
    """Run the command; return (its output, its error) and insist it failed."""
    out = StringIO()
    args = ["--tenant", tenant.slug, *(["--service", service] if service else [])]
    with pytest.raises(CommandError) as failed:
        call_command(
            "receive_interactions", *args, *map(str, paths), stdout=out, stderr=out
        )
    return out.getvalue(), str(failed.value)


def email_bytes(number: int, *, headers: bytes = b"", body: bytes = b"Hello.") -> bytes:
    """One email from a customer; `headers` replace or add to the usual ones."""
    usual = {
        b"From": b"Customer %d <c%d@example.com>" % (number, number),
        b"To": b"support@cc.example",
        b"Subject": b"Question %d" % number,
        b"Message-ID": b"<m%d@example.com>" % number,
        b"Date": b"Wed, 01 Apr 2026 09:00:00 +0900",
    }
    for header in headers.split(b"\n"):
        if header:
            name, _colon, value = header.partition(b": ")
            usual[name] = value
    head = b"".join(b"%s: %s\n" % item for item in usual.items())
    return head + b"\n" + body + b"\n"


def mbox(path: Path, messages: list[bytes]) -> Path:
    path.write_bytes(
        b"".join(b"From MAILER-DAEMON Wed Apr  1 09:00:00 2026\n" + m + b"\n"
                 for m in messages)
    )  # fmt: skip
    return path


# Headers that once refused an email (issue 10) -> the note it is now recorded with
# (issue 17: only routing's own fields refuse an email); None: read, nothing to say.
HOSTILE_EMAILS = {
    "nul-in-encoded-subject": (b"Subject: =?UTF-8?B?AGhp?=",
                               "Control characters were removed from the Subject."),
    "bell-in-sender-name": (b"From: =?UTF-8?B?QQdC?= <b@example.com>",
                            "Control characters were removed from the From."),
    "raw-shift-jis-subject": ("Subject: 日本語".encode("shift_jis"), None),
    "unparsable-from": (b"From: a@[", "The From header 'a@[' holds no address."),
    "year-9999": (b"Date: Fri, 31 Dec 9999 23:59:59 -1200", "is in the future"),
    "next-year": (b"Date: Thu, 01 Apr 2027 09:00:00 +0900", "is in the future"),
    "offset-beyond-14h": (b"Date: Wed, 01 Apr 2026 09:00:00 +2300", "beyond ±14:00"),
    "impossible-date": (b"Date: Mon, 30 Feb 2026 10:00:00 +0000", "(not a date)"),
    "control-in-message-id": (b"Message-ID: <m\x0199@example.com>",
                              "Control characters were removed from the Message-ID."),
}  # fmt: skip


@pytest.fixture
def frozen_now(monkeypatch):
    """2026-04-02 UTC, so that the test emails of 2026-04-01 are in the past and
    the ones of 2027 in the future whenever the suite runs."""
    now = datetime.datetime(2026, 4, 2, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.mark.parametrize("case", list(HOSTILE_EMAILS))
def test_hostile_email_headers_are_read_with_a_note(frozen_now, case):
    header, words = HOSTILE_EMAILS[case]
    found = interaction_from_email(email_bytes(2, headers=header), service="Mail")
    if words is None:
        assert found["notes"] == []
        assert found["subject"] == "日本語"  # raw cp932 bytes, read as cp932
    else:
        assert len(found["notes"]) == 1
        assert words in found["notes"][0]
    if case.startswith(("year-", "next-", "offset-", "impossible-")):
        assert found["occurred_at"] is None  # routing records the time of receipt


def test_every_hostile_email_in_one_mbox_is_recorded(
    tmp_path, tenant, mail, frozen_now
):
    """All of them in one file (one batch): each recorded (the From without an
    address against the client's unknown sender), none refused."""
    emails = [email_bytes(10 + i, headers=h) for i, (h, _w) in
              enumerate(HOSTILE_EMAILS.values())]  # fmt: skip
    path = mbox(tmp_path / "all.mbox", [email_bytes(1), *emails, email_bytes(2)])
    out = StringIO()
    call_command(
        "receive_interactions", "--tenant", tenant.slug, "--service", "Mail",
        str(path), stdout=out, stderr=out,
    )  # fmt: skip
    assert f"{len(emails) + 2} recorded, 0 rejected" in out.getvalue()
    assert Email.objects.count() == len(emails) + 2


JSON_GOOD = {"service": "Line", "channel": "voice", "from": "0312345678"}
# JSON line -> (field, words of the reason)
HOSTILE_LINES = {
    "nul-in-body": ({**JSON_GOOD, "body": "a\u0000b"}, "body", "U+0000"),
    "escape-in-subject": ({**JSON_GOOD, "subject": "\u001b[31mred"}, "subject",
                          "U+001B"),
    "nul-in-sender": ({**JSON_GOOD, "from": "+81\u0000"}, "from", "U+0000"),
    "c1-control-in-to": ({**JSON_GOOD, "to": ["a\u0085@b.example"]}, "to", "U+0085"),
    "nul-in-encoded-subject": ({**JSON_GOOD, "subject": "=?UTF-8?B?AGhp?="},
                               "subject", "U+0000"),
    "lone-surrogate": ({**JSON_GOOD, "body": "\ud800"}, "body", "surrogate"),
    "year-9999": ({**JSON_GOOD, "occurred_at": "9999-12-31T23:59:59-12:00"},
                  "occurred_at", "in the future"),
    "offset-beyond-14h": ({**JSON_GOOD, "occurred_at": "2026-04-01T09:00:00+15:00"},
                          "occurred_at", "beyond ±14:00"),
    "impossible-offset": ({**JSON_GOOD, "occurred_at": "2026-04-01T09:00:00+99:00"},
                          "occurred_at", "ISO 8601"),
    "year-1": ({**JSON_GOOD, "occurred_at": "0001-01-01T00:00:00+05:00"},
               "occurred_at", "before 1900"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(HOSTILE_LINES))
def test_hostile_json_line_is_refused_alone(tmp_path, tenant, line, frozen_now, case):
    data, field, words = HOSTILE_LINES[case]
    path = tmp_path / "calls.jsonl"
    path.write_text(
        "\n".join(json.dumps(d) for d in [JSON_GOOD, data, JSON_GOOD]) + "\n", "utf-8"
    )
    output, error = receive(tenant, path)
    (rejected,) = [ln for ln in output.splitlines() if "calls.jsonl:" in ln]
    assert f"calls.jsonl:2: {field}: " in rejected
    assert words in rejected
    assert "1 of 3 records rejected" in error
    assert Activity.objects.count() == 2


def test_json_nested_too_deep_is_refused_not_a_recursion_error(tmp_path, tenant, line):
    path = tmp_path / "calls.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(f"{json.dumps(JSON_GOOD)}\n{deep}\n{json.dumps(JSON_GOOD)}\n")
    output, _error = receive(tenant, path)
    assert f"calls.jsonl:2: JSON nested deeper than {JSON_MAX_DEPTH} levels." in output
    assert Activity.objects.count() == 2


def test_json_line_too_large_is_refused_and_the_next_line_kept(
    tmp_path, tenant, line, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    path = tmp_path / "calls.jsonl"
    big = json.dumps({**JSON_GOOD, "body": "x" * 5000})
    path.write_text(f"{big}\n{json.dumps(JSON_GOOD)}\n")
    output, error = receive(tenant, path)
    assert "calls.jsonl:1: Too large: more than 1,000 bytes of JSON." in output
    assert "1 of 2 records rejected" in error
    assert Activity.objects.count() == 1


@pytest.fixture
def failing_insert(db):
    """A real database error for one record: a trigger refuses an activity entry
    summarised "boom" (no mock: the database itself raises)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN"
                " IF NEW.summary = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF;"
                " RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cur.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON contacts_activity"
                " FOR EACH ROW EXECUTE FUNCTION boom()"
            )
        else:
            cur.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON contacts_activity"
                " WHEN NEW.summary = 'boom'"
                " BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
            )


def test_a_database_error_refuses_one_record_and_poisons_no_other(
    tmp_path, tenant, line, failing_insert
):
    # given: the failing record amid good ones of the same batch, one of them a new
    # sender whose contact is created before the failing insert
    lines = [
        {**JSON_GOOD, "body": "first"},
        {**JSON_GOOD, "from": "0399998888", "body": "boom"},
        {**JSON_GOOD, "body": "after"},
    ]
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in lines) + "\n")
    # when
    output, _error = receive(tenant, path)
    # then
    assert "calls.jsonl:2: database error: " in output
    assert "boom refused" in output
    assert sorted(Activity.objects.values_list("summary", flat=True)) == [
        "after",
        "first",
    ]
    # Rolled back to its savepoint: not even its new contact was kept.
    assert not Contact.objects.filter(phone__endswith="99998888").exists()


def test_records_after_a_full_batch_are_routed_too(tmp_path, tenant, line):
    from interactions.management.commands.receive_interactions import BATCH_SIZE

    lines = [{**JSON_GOOD, "body": f"call {i}"} for i in range(2 * BATCH_SIZE + 3)]
    lines[BATCH_SIZE + 1] = {**JSON_GOOD, "channel": "fax"}
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in lines) + "\n")
    output, _error = receive(tenant, path)
    assert f"calls.jsonl:{BATCH_SIZE + 2}: channel: Unknown channel" in output
    assert Activity.objects.count() == 2 * BATCH_SIZE + 2


# ----- the rules themselves, as the API's JSON items use them --------------------


def test_load_json_names_each_kind_of_bad_json(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    cases = {
        b"[" * 5000 + b"]" * 5000: "nested deeper",
        b"[" * (JSON_MAX_DEPTH + 1) + b"]" * (JSON_MAX_DEPTH + 1): "nested deeper",
        b"x" * 100_001: "Too large",
        b'"\xff"': "Not UTF-8",
        b"{": "Not valid JSON",
    }
    for raw, words in cases.items():
        with pytest.raises(InteractionRejected) as refused:
            load_json(raw)
        assert words in str(refused.value), raw[:20]
    depth = [[[[]]]]
    assert load_json(json.dumps(depth)) == depth


def test_control_characters_are_named_per_field_and_line_breaks_are_text():
    errors = control_character_errors(
        {
            "subject": "ok",
            "body": "line one\r\n\tline two\n",
            "sender": "a\x00b",
            "recipients": ["x@y.example", "\x7f"],
        }
    )
    assert set(errors) == {"from", "to"}
    assert "U+0000" in errors["from"][0]
    assert "U+007F" in errors["to"][0]


def test_future_limit_is_the_setting(settings, frozen_now):
    settings.INTERACTION_MAX_FUTURE_SECONDS = 60
    assert occurred_at_errors(frozen_now + datetime.timedelta(seconds=60)) == []
    assert occurred_at_errors(frozen_now + datetime.timedelta(seconds=61))
    assert occurred_at_errors(frozen_now - datetime.timedelta(days=3650)) == []


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({**JSON_GOOD, "subject": "=?UTF-8?B?AGhp?="}, "subject"),
        ({**JSON_GOOD, "body": "\u0007"}, "body"),
        ({**JSON_GOOD, "occurred_at": "9999-12-31T23:59:59+09:00"}, "occurred_at"),
        ({**JSON_GOOD, "occurred_at": "2026-04-01T09:00:00-14:30"}, "occurred_at"),
    ],
    ids=["nul-in-encoded-subject", "bell-in-body", "year-9999", "offset-14h30"],
)
def test_api_refuses_the_same_with_400_naming_the_field(client, tenant, line, item,
                                                        field):  # fmt: skip
    key = factories.gateway_token(tenant)[1]
    response = client.post(
        reverse("api:interactions"),
        json.dumps(item),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Activity.objects.exists()
