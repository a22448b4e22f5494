"""Real-world email read as mail clients show it (issue 17): each shape of
tests/data/email gives route_interaction's arguments with the right sender, subject,
readable body, attachments and notes, and its raw source as received; whatever was
recorded "as well as it could be" says so in a note; only what is no email at all is
refused. Parsing level only: routing of these arguments is tested with routing.
"""

import base64
import datetime
import email
import email.policy
import urllib.parse
from pathlib import Path

import pytest

from interactions.charsets import ISO_2022_JP, decode_text
from interactions.input import interaction_from_json
from interactions.mail import MAX_FORWARD_DEPTH, interaction_from_email
from interactions.routing import InteractionRejected

CORPUS = Path(__file__).parent / "data" / "email"

# Never in a readable body: CSS, script, entities, replaced bytes.
NOT_READABLE = ("font-family", "trackingPixel", "&nbsp;", "&amp;", "\ufffd", "<p>")

PDF = {"name": "invoice-2026-04.pdf", "type": "application/pdf", "size": 125}
PNG = {"name": "attachment-1.png", "type": "image/png", "size": 70}
NOTE_NO_BOUNDARY = (
    "A multipart part has no boundary that divides it; it is shown as its raw text."
)

# file -> what interaction_from_email must return (body: phrases it must contain).
EXPECTED = {
    "rfc6532-utf8-headers.eml": {
        "sender": "zoe.mueller@example.de",
        "sender_name": "Müller, Zoë",
        "recipients": ["support@acme.example", "jurgen@bücher.example"],
        "subject": "Rückfrage für Bestellung 4711",
        "body": ["Rückfrage für meine Bestellung 4711", "Grüßen\nZoë Müller"],
        "occurred_at": "2026-04-01T10:15:00+02:00",
    },
    "shift-jis-cp932.eml": {
        "sender": "takahashi@example.co.jp",
        "sender_name": "髙橋 一郎",
        "subject": "ご注文①の件（髙橋）",
        "body": ["注文番号①②③の件", "担当：髙橋", "9:00～18:00"],
    },
    "iso-2022-jp-cp50221.eml": {
        "sender": "hanako@example.ne.jp",
        "sender_name": "佐藤 花子",
        "subject": "①配送について",
        "body": ["① 配送状況の確認", "② 返品の手続き", "担当：髙橋 ｶﾀｶﾅ"],
    },
    "html-only.eml": {
        "sender": "news@shop.example",
        "subject": "Your order has shipped",
        "body": [
            "Dear customer,\n\nYour order #4711 from Smith & Sons has shipped.",
            "* Blue kettle\n  * Tea cups (set of 4)",
            "[on our site](https://shop.example/track/4711)",
        ],
    },
    "forwarded-rfc822.eml": {
        "sender": "aiko@acme.example",
        "subject": "Fwd: Broken kettle lid",
        "body": [
            "Please handle the customer's message below.\n\n"
            "---------- Forwarded message ----------\n"
            "From: Kenji Sato <kenji@example.jp>\n"
            "Date: Tue, 31 Mar 2026 17:45:00 +0900\n"
            "Subject: Broken kettle lid\n"
            "To: sales@acme.example\n\n"
            "The lid of the kettle I bought last week does not close."
        ],
        "attachments": [PNG],
    },
    "digest.eml": {
        "sender": "helpdesk-list@lists.example",
        "subject": "Helpdesk digest, Vol 12, Issue 3",
        "body": [
            "From: Maria Rossi <maria@example.it>",
            "When will my refund for order 1200 arrive?",
            "From: Tom Baker <tom@example.co.uk>",
            "Please update my delivery address to 12 High Street.",
        ],
        "forwarded": 2,
    },
    "broken-multipart-no-boundary.eml": {
        "sender": "paul@example.fr",
        "body": ["Hello, my invoice 2026-118 charges shipping twice."],
        "notes": [NOTE_NO_BOUNDARY],
    },
    "attachment-only-pdf.eml": {
        "sender": "billing@supplier.example",
        "subject": "Invoice April 2026",
        "body": [],
        "attachments": [PDF],
    },
    "bounce-delivery-status.eml": {
        "sender": "MAILER-DAEMON@mx.acme.example",
        "sender_name": "Mail Delivery System",
        "body": [
            "could not\nbe delivered",
            "Final-Recipient: rfc822; nobody@customer.example\nAction: failed\n"
            "Status: 5.1.1",
            "---------- Forwarded message ----------\nFrom: support@acme.example",
            "Your ticket 5521 has been resolved.",
        ],
        "forwarded": 1,
    },
    "bad-to-cc-date-long-subject.eml": {
        "sender": "lena@example.se",
        "recipients": ["XX", "sales@", "support@acme.example"],
        "occurred_at": None,
        "body": ["My order 4711 still has not arrived."],
        "notes": [
            "The Date header 'Mon, 30 Feb 2026 25:61:00 +0000' cannot be used (not a "
            "date); the time of receipt is recorded instead."
        ],
    },
    "old-style-from.eml": {
        "sender": "kenji@example.jp",
        "sender_name": "Kenji Sato",
        "body": ["Are you open on Saturdays?"],
    },
    "delivered-to-repeats-to.eml": {
        "sender": "ana@example.pt",
        "recipients": ["support@acme.example", "ana@example.pt"],
    },
    "no-from.eml": {
        "sender": "",
        "sender_name": "",
        "body": ["Please call me back about my order."],
        "notes": ["The email has no From header."],
    },
}


def read(name: str, **options) -> dict:
    return interaction_from_email((CORPUS / name).read_bytes(), **options)


def test_every_corpus_file_is_expected_here_and_described_in_the_readme():
    files = sorted(path.name for path in CORPUS.glob("*.eml"))
    assert files == sorted(EXPECTED)
    readme = (CORPUS / "README.md").read_text("utf-8")
    for name in files:
        assert f"`{name}`" in readme


@pytest.mark.parametrize("name", list(EXPECTED))
def test_corpus_email_is_read_as_a_mail_client_shows_it(name):
    expected = EXPECTED[name]
    found = read(name, service="Mail")
    assert (found["service"], found["channel"]) == ("Mail", "email")
    assert found["sender"] == expected["sender"]
    if "sender_name" in expected:
        assert found["sender_name"] == expected["sender_name"]
    assert found["recipients"] == expected.get("recipients", ["support@acme.example"])
    if "subject" in expected:
        assert found["subject"] == expected["subject"]
    for phrase in expected.get("body", []):
        assert phrase in found["body"]
    if expected.get("body") == []:
        assert found["body"] == ""
    for text in NOT_READABLE:
        assert text not in found["body"]
    assert found["body"] == found["body"].strip()
    assert "\r" not in found["body"]
    assert not any(line != line.rstrip() for line in found["body"].splitlines())
    assert found["body"].count("---------- Forwarded message ----------") == (
        expected.get("forwarded", 1 if name == "forwarded-rfc822.eml" else 0)
    )
    assert found["attachments"] == [
        {**attachment, "kept": True} for attachment in expected.get("attachments", [])
    ]
    assert found["notes"] == expected.get("notes", [])
    assert found["message_id"].startswith("<") and found["message_id"].endswith(">")
    if "occurred_at" in expected:
        when = expected["occurred_at"]
        assert found["occurred_at"] == (when and datetime.datetime.fromisoformat(when))
    else:
        assert found["occurred_at"].tzinfo is not None


@pytest.mark.parametrize("name", list(EXPECTED))
def test_raw_source_is_the_email_exactly_as_received(name):
    assert read(name)["raw_source"] == (CORPUS / name).read_bytes()


def test_html_only_email_keeps_its_html_and_plain_alternative_is_preferred():
    html = read("html-only.eml")["body_html"]
    assert '<a href="https://shop.example/track/4711">' in html  # decoded from QP
    assert "<ul><li>Blue kettle</li>" in html
    alternative = (
        b"From: a@example.com\nTo: support@acme.example\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/alternative; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nPlain words.\n"
        b"--b\nContent-Type: text/html\n\n<p>Rich <b>words</b>.</p>\n--b--\n"
    )
    found = interaction_from_email(alternative)
    assert found["body"] == "Plain words."
    assert found["body_html"] == "<p>Rich <b>words</b>.</p>"


def test_the_long_subject_is_returned_whole_for_routing_to_truncate():
    subject = read("bad-to-cc-date-long-subject.eml")["subject"]
    assert len(subject) > 998
    assert subject.startswith("Complaint about order 4711 and the delivery")


def test_attachment_content_not_kept_when_storing_is_off(settings):
    settings.EMAIL_STORE_ATTACHMENTS = False
    found = read("attachment-only-pdf.eml")
    assert found["attachments"] == [{**PDF, "kept": False}]
    assert found["notes"] == [
        "The content of the attachment invoice-2026-04.pdf (125 bytes) was not kept."
    ]
    raw = found["raw_source"]
    original = (CORPUS / "attachment-only-pdf.eml").read_bytes()
    assert b"JVBERi0" in original and b"JVBERi0" not in raw  # the PDF's base64
    assert b"X-Ccadmin-Content-Removed: 125 bytes\r\n" in raw
    # Everything else as received, with the source's CRLF line endings.
    head = original.split(b"\r\n\r\n")[0]
    assert raw.startswith(head + b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    again = interaction_from_email(raw)
    assert (again["subject"], again["attachments"][0]["size"]) == (
        "Invoice April 2026",
        0,
    )


def test_only_attachments_over_the_cap_lose_their_content(settings):
    settings.EMAIL_ATTACHMENT_MAX_BYTES = 100
    assert read("forwarded-rfc822.eml")["attachments"] == [{**PNG, "kept": True}]
    found = read("attachment-only-pdf.eml")
    assert found["attachments"] == [{**PDF, "kept": False}]
    assert b"X-Ccadmin-Content-Removed: 125 bytes" in found["raw_source"]


def test_a_stripped_multipart_keeps_its_other_parts_and_line_endings(settings):
    settings.EMAIL_STORE_ATTACHMENTS = False
    found = read("forwarded-rfc822.eml")
    raw = found["raw_source"]
    assert b"\r\n" not in raw  # the source's LF
    assert b"X-Ccadmin-Content-Removed: 70 bytes\n" in raw
    assert b"iVBORw0KGgo" not in raw  # the PNG's base64
    assert b"The lid of the kettle I bought last week does not close." in raw
    assert interaction_from_email(raw)["body"] == found["body"]


def message(headers: bytes, body: bytes = b"Hello.\n") -> bytes:
    usual = b"From: Customer <c@example.com>\nTo: support@acme.example\n"
    return usual + headers + b"\n" + body


# headers -> (argument, its value, words of the note)
RECORDED_WITH_A_NOTE = {
    "nul-in-encoded-subject": (
        b"Subject: =?UTF-8?B?AGhp?=\n", "subject", "hi", "Control characters were "
        "removed from the Subject."),
    "bell-in-sender-name": (
        b"From: =?UTF-8?B?QQdC?= <b@example.com>\n", "sender_name", "AB",
        "Control characters were removed from the From."),
    "nul-in-body": (b"", "body", "AB", "Control characters were removed from the "
                    "body."),
    "unparsable-from": (b"From: a@[\n", "sender", "",
                        "The From header 'a@[' holds no address."),
    "from-without-address": (b"From: Customer Service\n", "sender_name",
                             "Customer Service", "holds no address"),
    "year-9999": (b"Date: Fri, 31 Dec 9999 23:59:59 -1200\n", "occurred_at", None,
                  "is in the future"),
    "offset-beyond-14h": (b"Date: Wed, 01 Apr 2026 09:00:00 +2300\n", "occurred_at",
                          None, "beyond ±14:00"),
    "impossible-date": (b"Date: Mon, 30 Feb 2026 10:00:00 +0000\n", "occurred_at",
                        None, "(not a date); the time of receipt is recorded"),
    "control-in-message-id": (b"Message-ID: <a\x01b@example.com>\n", "message_id",
                              "<ab@example.com>", "removed from the Message-ID"),
    "unknown-charset-subject": (b"Subject: =?x-klingon?Q?caf=C3=A9?=\n", "subject",
                                "café", "unknown character set x-klingon"),
    "bad-bytes-in-encoded-subject": (b"Subject: =?utf-8?Q?caf=FF?=\n", "subject",
                                     "caf\ufffd", "Bytes of the Subject that are "
                                     "not text"),
    "bad-bytes-in-utf8-body": (b"Content-Type: text/plain; charset=utf-8\n", "body",
                               "caf\ufffd", "were replaced by the replacement"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(RECORDED_WITH_A_NOTE))
def test_what_once_refused_an_email_is_recorded_with_a_note(case):
    headers, argument, value, words = RECORDED_WITH_A_NOTE[case]
    body = {"nul-in-body": b"A\x00B\n", "bad-bytes-in-utf8-body": b"caf\xff\n"}
    if headers.startswith(b"From:"):
        raw = b"To: support@acme.example\n" + headers + b"\n" + body.get(case, b"Hi")
    else:
        raw = message(headers, body.get(case, b"Hello.\n"))
    found = interaction_from_email(raw)
    assert found[argument] == value
    assert len(found["notes"]) == 1
    assert words in found["notes"][0]


def test_minus_zero_offset_is_utc_and_naive_times_never_leave():
    found = interaction_from_email(message(b"Date: Wed, 1 Apr 2026 09:00:00 -0000\n"))
    assert found["occurred_at"] == datetime.datetime(2026, 4, 1, 9, tzinfo=datetime.UTC)
    assert found["notes"] == []


def test_raw_8bit_headers_in_a_senders_own_charset_are_read():
    # Old Japanese software writes cp932 bytes in headers, unencoded.
    raw = message("Subject: 髙橋様のご注文①\n".encode("cp932"))
    found = interaction_from_email(raw)
    assert (found["subject"], found["notes"]) == ("髙橋様のご注文①", [])


def test_a_boundary_that_never_appears_shows_the_raw_text():
    raw = message(
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="gone"\n',
        b"--other\nContent-Type: text/plain\n\nThe text itself.\n--other--\n",
    )
    found = interaction_from_email(raw)
    assert "The text itself." in found["body"]
    assert found["notes"] == [NOTE_NO_BOUNDARY]


def test_forwarded_messages_nested_too_deep_are_cut_with_a_note():
    inner = b"From: x@example.com\nSubject: innermost\n\nDeep text.\n"
    for _level in range(MAX_FORWARD_DEPTH + 2):
        inner = b"From: x@example.com\nContent-Type: message/rfc822\n\n" + inner
    top = b"From: c@example.com\nTo: support@acme.example\n"
    found = interaction_from_email(top + b"Content-Type: message/rfc822\n\n" + inner)
    assert "Deep text." not in found["body"]
    assert found["notes"] == [
        f"Forwarded messages nested deeper than {MAX_FORWARD_DEPTH} are not shown."
    ]


def test_unnamed_attachments_get_a_name_from_their_type():
    raw = message(
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n',
        b"--b\nContent-Type: text/plain\n\nSee attached.\n"
        b"--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
        b"JVBERi0xLjQK\n"
        b"--b\nContent-Type: text/csv\nContent-Disposition: attachment\n\na,b\n"
        b"--b\nContent-Type: application/x-ccadmin-unheard-of\n\nxyz\n--b--\n",
    )
    found = interaction_from_email(raw)
    assert found["body"] == "See attached."
    assert [(a["name"], a["type"], a["size"]) for a in found["attachments"]] == [
        ("attachment-1.pdf", "application/pdf", 9),
        ("attachment-2.csv", "text/csv", 3),  # the last line break is the boundary's
        ("attachment-3.bin", "application/x-ccadmin-unheard-of", 3),
    ]


def test_attachment_names_are_read_in_their_charsets_as_clients_read_them():
    rfc2231 = urllib.parse.quote_from_bytes("請求書①.pdf".encode("cp932")).encode()
    word = base64.b64encode("見積書.pdf".encode("iso2022_jp"))
    attachment = (
        b"--b\nContent-Type: application/pdf\nContent-Disposition: attachment; "
    )
    raw = message(
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n',
        attachment + b"filename*=shift_jis''" + rfc2231 + b"\n\nxx\n"
        + attachment + b'filename="=?ISO-2022-JP?B?' + word + b'?="\n\nxx\n'
        + attachment + 'filename="Überweisung.pdf"\n\nxx\n--b--\n'.encode(),
    )  # fmt: skip
    found = interaction_from_email(raw)
    assert [a["name"] for a in found["attachments"]] == [
        "請求書①.pdf",
        "見積書.pdf",
        "Überweisung.pdf",
    ]
    assert found["notes"] == []


def test_text_with_no_header_is_refused_as_not_an_email():
    with pytest.raises(InteractionRejected, match="Not an email: it has no header"):
        interaction_from_email(b"just some notes\n")


@pytest.mark.parametrize(
    ("data", "label", "text"),
    [
        ("①②③ 髙 ～".encode("cp932"), "shift_jis", "①②③ 髙 ～"),
        ("①②③ 髙 ～".encode("cp932"), "x-sjis", "①②③ 髙 ～"),
        ("①".encode("euc_jis_2004") + "注文".encode("euc_jp"), "euc-jp", "①注文"),
        ("中文".encode("gb18030"), "gb2312", "中文"),
        ("한국어".encode("cp949"), "ks_c_5601-1987", "한국어"),
        (b"caf\xe9 \x80 \x81", "iso-8859-1", "café € \x81"),
        ("café".encode(), "us-ascii", "café"),
        (b"caf\xe9", "us-ascii", "café"),
        (b"caf\xe9", None, "café"),
        (b"\x1b$B$3$s$K$A$O\x1b(B", "iso-2022-jp", "こんにちは"),
        # CP50221: NEC row 13 (①), NEC-selected IBM 髙, half-width kana, SO/SI.
        (b"\x1b$B-!|b\x1b(B \x1b(I12\x1b(B \x0e34\x0f.", "ISO-2022-JP", "①髙 ｱｲ ｳｴ."),
    ],
)
def test_charsets_are_read_as_mail_clients_read_them(data, label, text):
    assert decode_text(data, label) == (text, False, "")


def test_unknown_and_broken_charsets_say_so():
    assert decode_text("café".encode(), "x-klingon") == ("café", False, "x-klingon")
    assert decode_text(b"caf\xe9", "x-klingon") == ("café", False, "x-klingon")
    assert decode_text(b"\x1b$B\x7f\x7f\x1b(B", "iso-2022-jp") == ("\ufffd", True, "")
    assert decode_text(b"caf\xff", "utf-8") == ("caf\ufffd", True, "")
    # Registered for the email package's encoded words too.
    assert b"\x1b$B-!\x1b(B".decode(ISO_2022_JP) == "①"


def _cpython_email_corpus() -> list[Path]:
    try:
        import test  # the interpreter's own test package (absent in slim builds)
    except ImportError:
        return []
    return sorted((Path(test.__file__).parent / "test_email" / "data").glob("msg_*"))


@pytest.mark.skipif(
    not _cpython_email_corpus(),
    reason="this Python has no test package (test/test_email/data/msg_*.txt)",
)
@pytest.mark.parametrize("path", _cpython_email_corpus(), ids=lambda path: path.name)
def test_cpython_email_corpus_is_read_or_refused_with_a_reason(path, settings):
    settings.EMAIL_STORE_ATTACHMENTS = True
    try:
        found = interaction_from_email(path.read_bytes())
    except InteractionRejected as exc:
        assert exc.errors and all(exc.errors.values())
        return
    assert found["channel"] == "email"
    assert isinstance(found["body"], str)
    assert found["raw_source"] == path.read_bytes()
    for text in (found["subject"], found["body"], found["sender_name"]):
        text.encode("utf-8")  # raises on a lone surrogate, which no database stores
    # Without the attachments' content, the stored source is still the same email.
    settings.EMAIL_STORE_ATTACHMENTS = False
    stripped = interaction_from_email(path.read_bytes())
    if not found["attachments"]:
        assert stripped["raw_source"] == path.read_bytes()
        return
    again = interaction_from_email(stripped["raw_source"])
    assert (again["subject"], again["body"]) == (found["subject"], found["body"])
    assert [a["name"] for a in again["attachments"]] == [
        a["name"] for a in found["attachments"]
    ]


def test_built_messages_round_trip():
    built = email.message.EmailMessage(policy=email.policy.default)
    built["From"] = "Zoë Müller <zoe@example.de>"
    built["To"] = "support@acme.example"
    built["Subject"] = "Grüße"
    built.set_content("Hallo\n")
    found = interaction_from_email(built.as_bytes())
    assert (found["sender_name"], found["subject"], found["body"]) == (
        "Zoë Müller",
        "Grüße",
        "Hallo",
    )


@pytest.mark.parametrize(
    ("value", "withheld"), [(True, True), (False, False), (None, False)]
)
def test_json_withheld_is_a_boolean_passed_on(value, withheld):
    call = {"service": "Line", "channel": "voice", "from": "", "withheld": value}
    # Passed on only when true: route_interaction's `withheld` defaults to False.
    assert interaction_from_json(call).get("withheld", False) is withheld


@pytest.mark.parametrize("value", ["yes", 1, "true", []])
def test_json_withheld_that_is_not_a_boolean_is_refused(value):
    call = {"service": "Line", "channel": "voice", "withheld": value}
    with pytest.raises(InteractionRejected) as refused:
        interaction_from_json(call)
    assert refused.value.errors == {"withheld": ["Expected true or false."]}


def test_json_encoded_words_use_the_same_charsets_as_email():
    word = base64.b64encode("ご注文①".encode("cp932")).decode()
    email_item = {"service": "Mail", "channel": "email", "from": "a@example.com"}
    found = interaction_from_json({**email_item, "subject": f"=?shift_jis?B?{word}?="})
    assert found["subject"] == "ご注文①"


FORWARDED_BASE64 = (
    b"From: x@y.example\r\nTo: support@acme.example\r\nSubject: fwd\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n"
    b"--BB\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    b"--BB\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment; filename=orig.eml\r\n\r\n"
    + base64.encodebytes(b"From: a@b.example\r\nSubject: inner\r\n\r\nhello inner\r\n")
    + b"--BB--\r\n"
)


def test_a_forwarded_message_sent_base64_is_an_eml_attachment_not_base64_text():
    from contacts.mail_parts import attachment_content

    found = interaction_from_email(FORWARDED_BASE64)

    assert found["body"] == "see attached"
    assert found["attachments"] == [
        {"name": "orig.eml", "type": "message/rfc822", "size": 50, "kept": True}
    ]
    assert attachment_content(found["raw_source"], 0) == (
        b"From: a@b.example\r\nSubject: inner\r\n\r\nhello inner\r\n"
    )


@pytest.mark.parametrize("label", ["zlib", "base64", "rot13", "hex"])
def test_a_charset_that_is_a_python_codec_but_no_charset_is_unknown(label):
    body = "Grüße".encode()
    found = interaction_from_email(
        b"From: a@b.example\r\nContent-Type: text/plain; charset="
        + label.encode()
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + b"\r\n"
    )
    assert found["body"] == "Grüße"
    assert found["notes"], "an unknown charset is noted"
