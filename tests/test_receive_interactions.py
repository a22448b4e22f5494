"""`manage.py receive_interactions`: JSON Lines, .eml and mbox files routed to BPO
clients, with a summary; bad records rejected while the good ones are kept."""

import json
import mailbox
from email.header import Header
from email.message import EmailMessage
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ccadmin.models import Tenant
from contacts.models import Activity, Contact, Email
from tests import factories

DEMO = Path(__file__).resolve().parent.parent / "demo" / "interactions"


def receive(*args: str) -> str:
    out = StringIO()
    call_command("receive_interactions", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    """The demo data `make run` loads."""
    call_command("seed_demo", contacts=1, stdout=StringIO())
    return Tenant.objects.get(slug="sakura")


def activity_of(tenant, **email_filter) -> Activity:
    return Activity.objects.select_related("partition", "contact").get(
        tenant=tenant, **email_filter
    )


def test_demo_walk_through_puts_each_email_and_call_in_the_right_client(demo):
    """The README's "Done when": demo .eml files, the mbox and the JSON Lines."""
    output = receive(
        "--tenant",
        "sakura",
        *sorted(str(p) for p in DEMO.glob("*.eml")),
        str(DEMO / "acme-inbox.mbox"),
        str(DEMO / "calls.jsonl"),
    )
    assert "Received 11 records: 10 recorded, 0 rejected, duplicates skipped: 1." in (
        output
    )
    assert "assigned to Acme Insurance: 5" in output
    assert "assigned to Globex Telecom: 1" in output
    assert "assigned to さくら銀行: 1" in output
    assert "unassigned (no enabled client): 3" in output

    def client_of(**lookup):
        activity = activity_of(demo, **lookup)
        assert activity.contact.partition == activity.partition
        return activity.partition.name if activity.partition else None

    # .eml with encoded-word Japanese subject and name, multipart/alternative.
    claim = Email.objects.get(message_id="<claim-a1029.taro@example.jp>")
    assert claim.subject == "保険金請求について（事故番号 A-1029）"
    assert claim.sender == "山田 太郎 <taro.yamada@example.jp>"
    assert "必要書類を教えてください" in claim.body
    assert client_of(email=claim) == "Acme Insurance"
    # ISO-2022-JP headers and body, multipart/mixed with a PDF attached.
    bank = Email.objects.get(message_id="<20260401101500.hanako@example.jp>")
    assert (bank.subject, bank.contact.last_name) == ("口座振替の変更手続き", "佐藤")
    assert "口座振替の引き落とし口座を変更したいです" in bank.body
    assert client_of(email=bank) == "さくら銀行"
    # Initech is disabled: its email is recorded with no client, not dropped.
    tps = Email.objects.get(message_id="<tps-cover-sheets.peter@example.com>")
    assert tps.partition is None
    assert client_of(email=tps) is None
    # The mbox held 01's email again: recorded once.
    assert Email.objects.filter(message_id=claim.message_id).count() == 1
    assert client_of(email__message_id="<sinistre-4471.emilie@example.fr>") == (
        "Acme Insurance"
    )
    # JSON Lines: calls, a chat and an email with an encoded-word subject.
    assert client_of(summary__startswith="Caller reported") == "Acme Insurance"
    assert client_of(channel="chat", summary="ルーターが再起動を繰り返す") == (
        "Globex Telecom"
    )
    reissue = Email.objects.get(message_id="<reissue-77.yumi@example.jp>")
    assert (reissue.subject, reissue.contact.last_name) == ("証明書の再発行", "小林")
    assert client_of(summary="Asked about his stapler.") is None
    assert client_of(summary="Asked for the office address.") is None

    # Feeding the same files again records nothing new.
    again = receive("--tenant", "sakura", str(DEMO / "03-initech.eml"))
    assert "duplicates skipped: 1" in again


def test_bad_records_are_rejected_with_reasons_and_good_ones_kept(demo):
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(
            "receive_interactions",
            "--tenant",
            "sakura",
            str(DEMO / "bad-records.jsonl"),
            stdout=out,
        )
    assert "4 of 5 records rejected" in str(failed.value)
    output = out.getvalue()
    assert "bad-records.jsonl:2: service: Unknown service 'No Such Line'." in output
    assert "bad-records.jsonl:3: from: 'not-an-address' is not a valid" in output
    # No sender is recorded against "Unknown sender", but not with no service.
    assert (
        "bad-records.jsonl:4: service: The service is missing.; from: The sender "
        "is missing." in output
    )
    # The file's line, not json's "line 1" of the one line it was given.
    assert "bad-records.jsonl:5: Not valid JSON (line 5, column " in output
    kept = Activity.objects.get(summary="A good call, kept.")
    assert kept.partition.name == "Acme Insurance"
    assert not Contact.objects.filter(phone="+819055556666").exists()


def write_eml(path: Path, message: EmailMessage) -> Path:
    path.write_bytes(message.as_bytes())
    return path


def html_only_email(**headers) -> EmailMessage:
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("<p>ご<b>確認</b>ください</p>", subtype="html")
    message.add_attachment(b"data", maintype="application", subtype="octet-stream")
    return message


def test_eml_with_service_option_html_body_and_encoded_subject(tmp_path, tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ServiceFactory(
        tenant=tenant, name="Acme Email", type="email", client_partition=acme
    )
    eml = write_eml(
        tmp_path / "one.eml",
        html_only_email(
            From=f"{Header('小林 由美', 'iso-2022-jp').encode()} <yumi@example.jp>",
            To="someone@elsewhere.example",
            Subject=Header("ご確認のお願い", "iso-2022-jp").encode(),
            Message_ID="<html-only@example.jp>",
            Date="Wed, 01 Apr 2026 09:00:00 +0900",
        ),
    )
    output = receive("--tenant", tenant.slug, "--service", "Acme Email", str(eml))
    assert "assigned to Acme: 1" in output
    email = Email.objects.get()
    assert (email.subject, email.body) == ("ご確認のお願い", "ご確認ください")
    assert email.contact.last_name == "小林"
    assert email.sent_at.isoformat() == "2026-04-01T00:00:00+00:00"


def test_mbox_without_service_finds_it_by_address_or_rejects(tmp_path, tenant):
    factories.ServiceFactory(
        tenant=tenant, name="Mail", type="email", email_address="help@cc.example"
    )
    box = mailbox.mbox(tmp_path / "in.mbox")
    box.add(
        html_only_email(
            From="a@example.com", To="Help <HELP@cc.example>", Message_ID="<1@x>"
        )
    )
    box.add(html_only_email(From="b@example.com", To="x@y.example", Message_ID="<2@x>"))
    box.add(html_only_email(To="help@cc.example", Message_ID="<3@x>"))
    box.flush()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "receive_interactions",
            "--tenant",
            tenant.slug,
            str(tmp_path / "in.mbox"),
            stdout=out,
        )
    output = out.getvalue()
    assert "unassigned (no enabled client): 2" in output
    assert "in.mbox#2: service: No service receives email at x@y.example" in output
    # No From, but its service is known: recorded (the client's unknown sender).
    assert "in.mbox#3" not in output
    assert sorted(Email.objects.values_list("message_id", flat=True)) == [
        "<1@x>",
        "<3@x>",
    ]


def test_jsonl_uses_service_option_as_default(tmp_path, tenant):
    factories.ServiceFactory(tenant=tenant, name="Main Line")
    path = tmp_path / "calls.jsonl"
    path.write_text(
        json.dumps({"channel": "voice", "from": "0312345678"}) + "\n\n", "utf-8"
    )
    assert "recorded" in receive(
        "--tenant", tenant.slug, "--service", "Main Line", str(path)
    )
    assert Activity.objects.get().service.name == "Main Line"


def test_command_records_only_into_the_named_tenant(tmp_path, tenant, other_tenant):
    factories.ServiceFactory(tenant=other_tenant, name="Their Line")
    path = tmp_path / "calls.jsonl"
    path.write_text(
        json.dumps({"service": "Their Line", "channel": "voice", "from": "0312345678"}),
        "utf-8",
    )
    with pytest.raises(CommandError):
        receive("--tenant", tenant.slug, str(path))
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nope", "x.jsonl"], 'Unknown tenant "nope"'),
        (["--tenant", "{slug}", "notes.txt"], "unknown file type"),
        (["--tenant", "{slug}", "missing.eml"], "no such file"),
    ],
)
def test_bad_arguments_are_one_clear_error(tenant, args, message):
    args = [a.format(slug=tenant.slug) for a in args]
    with pytest.raises(CommandError, match=message):
        receive(*args)


def test_a_line_not_in_utf8_is_rejected_and_the_others_kept(tmp_path, tenant):
    factories.ServiceFactory(tenant=tenant, name="Main Line")
    good = json.dumps({"service": "Main Line", "channel": "voice", "from": "0312"})
    bad = '{"service": "Main Line", "channel": "voice", "from": "0313", '
    path = tmp_path / "calls.jsonl"
    path.write_bytes(
        good.encode() + b"\n" + bad.encode() + '"body": "電話"}'.encode("shift_jis")
    )
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "receive_interactions", "--tenant", tenant.slug, str(path), stdout=out
        )
    assert "calls.jsonl:2: Not UTF-8 text" in out.getvalue()
    assert Activity.objects.get().contact.phone == "0312"


class Terminal(StringIO):
    """Standard error as a terminal shows it (the command checks isatty())."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "verbosity", "shown"),
    [(Terminal, 1, True), (Terminal, 0, False), (StringIO, 1, False)],
    ids=["terminal", "terminal-quiet", "pipe"],
)
def test_progress_bar_only_on_a_terminal(tmp_path, tenant, stream, verbosity, shown):
    factories.ServiceFactory(tenant=tenant, name="Main Line")
    path = tmp_path / "calls.jsonl"
    call = {"service": "Main Line", "channel": "voice", "from": "0312345678"}
    path.write_text(json.dumps(call) + "\n")
    out, err = StringIO(), stream()
    call_command(
        "receive_interactions", "--tenant", tenant.slug, str(path),
        verbosity=verbosity, stdout=out, stderr=err,
    )  # fmt: skip
    assert ("Receiving" in err.getvalue() and "100%" in err.getvalue()) is shown
    assert "1 recorded" in out.getvalue()


def test_mbox_is_read_as_python_mailbox_reads_it(tmp_path):
    """The streaming reader (interactions.input.read_mbox) finds the same messages
    as mailbox.mbox, including a body line starting with "From " that the writer
    escaped, and a message without a trailing blank line."""
    from interactions.input import read_mbox
    from interactions.mail import parse_email

    box = mailbox.mbox(tmp_path / "in.mbox")
    for number in range(3):
        message = EmailMessage()
        message["From"] = f"c{number}@example.com"
        message["Message-ID"] = f"<{number}@x>"
        message.set_content(f"Line one.\nFrom the start, message {number}.\n")
        box.add(message)
    box.flush()
    expected = [
        (m["Message-ID"], m.get_payload()) for m in mailbox.mbox(tmp_path / "in.mbox")
    ]
    found = [
        (str(m["Message-ID"]), m.get_content())
        for m in (parse_email(raw.data) for raw in read_mbox(tmp_path / "in.mbox"))
    ]
    assert [number for number, *_ in read_mbox(tmp_path / "in.mbox")] == [1, 2, 3]
    assert found == expected
    assert ">From the start" in found[0][1]


def test_text_that_is_not_an_mbox_is_refused_not_ignored(tmp_path, tenant):
    factories.ServiceFactory(tenant=tenant, name="Mail", type="email")
    path = tmp_path / "notes.mbox"
    path.write_text("just some notes\n")
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 record rejected"):
        call_command(
            "receive_interactions", "--tenant", tenant.slug, "--service", "Mail",
            str(path), stdout=out,
        )  # fmt: skip
    assert "notes.mbox#1: Not an email: it has no header fields." in out.getvalue()


def test_text_before_the_first_envelope_line_is_a_record_of_its_own(tmp_path):
    from interactions.input import read_mbox

    path = tmp_path / "in.mbox"
    path.write_bytes(
        b"stray text\n\nFrom a Wed Apr  1 09:00:00 2026\nFrom: a@example.com\n\nhi\n"
    )
    assert [(r.number, r.data) for r in read_mbox(path)] == [
        (1, b"stray text\n"),
        (2, b"From: a@example.com\n\nhi\n"),
    ]
