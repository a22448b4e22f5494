"""Incoming email read as modern mail clients show it, turned into the arguments of
`interactions.routing.route_interaction` (issue 17).

Real mail is recorded, not refused: raw UTF-8 headers (RFC 6532), Japanese charsets
as Windows writes them (interactions/charsets.py), HTML-only bodies (as readable
text, the HTML kept too), forwarded messages and digests (marked as forwarded),
bounces, a multipart whose boundary is missing (its raw text), attachments (listed;
their content kept up to a size set in the settings). Whatever is recorded "as well
as it could be" (an unreadable Date, replaced bytes, removed control characters, an
attachment's content not kept, a From with no address) is said in one translated
note each, kept with the email. Only what cannot be parsed at all is refused.
"""

from __future__ import annotations

import datetime
import email
import email.errors
import email.utils
import functools
import mimetypes
import re
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
from html import unescape
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from inscriptis import get_text
from inscriptis.model.config import ParserConfig

from contacts.mail_parts import (
    MAX_DEPTH,
    NESTED_MESSAGES,
    PARSE_ERRORS,
    attachment_bytes,
    attachment_parts,
    is_attachment,
    is_encoded_message,
)
from interactions.charsets import (
    ENCODED_WORD,
    codec_for,
    decode_header_bytes,
    decode_text,
    with_known_charsets,
)
from interactions.input import NOT_TEXT, occurred_at_errors
from interactions.routing import InteractionRejected

# Line breaks of a folded header (as the email package unfolds).
_LINESEP = re.compile(r"\r\n|\r|\n")

# Forwarded messages inside forwarded messages: deeper than this is not shown (and
# the email package's own recursion stays far from Python's limit). The same depth
# as the attachments listed (contacts.mail_parts).
MAX_FORWARD_DEPTH = MAX_DEPTH

# HTML as text, as a mail client without HTML would show it: links as [text](url),
# lists as bullets, no CSS or script.
_HTML_AS_TEXT = ParserConfig(display_links=True)

# Library failures on hostile input: the email package and lxml raise these.
_PARSE_ERRORS = PARSE_ERRORS


def _without_8bit(value: str) -> str:
    """A header value as the parser holds it (8-bit bytes as surrogates) as text."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value  # no surrogates: already text
    except UnicodeEncodeError:
        return decode_header_bytes(value.encode("utf-8", "surrogateescape"))


class MailClientPolicy(EmailPolicy):
    """email.policy.default, reading headers as mail clients do: raw 8-bit bytes
    (RFC 6532 UTF-8, or a sender's own charset) as text, and encoded words in the
    charsets of interactions.charsets (Shift_JIS as cp932, ISO-2022-JP as CP50221),
    as are RFC 2231 parameters (an attachment's filename*=shift_jis''...).
    The email package keeps raw bytes as surrogates, which crash later ("surrogates
    not allowed"); here they are text before any header is parsed."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        if name.lower() in _SHARED_HEADERS and len(value) <= _SHARED_MAX_LENGTH:
            return _shared_header(self, name, value)
        return self._parsed(name, value)

    def _parsed(self, name, value):
        value = _without_8bit(value)
        if "=?" in value or "*=" in value:
            value = with_known_charsets(value)
        return super().header_fetch_parse(name, value)


# Headers that the email package reads several times per part (get_content_type,
# get_param, get_payload) and that repeat from email to email ("text/plain;
# charset=utf-8"): parsed once per distinct value. Parsing them was most of the time
# of receive_interactions. Header objects are immutable (a change to a message
# stores a new one), so sharing them is safe.
_SHARED_HEADERS = frozenset(
    ("content-type", "content-disposition", "content-transfer-encoding")
)
# Only short values are kept: the cache bounds how many, not how large, and a
# sender chooses these values (an mbox of unique megabyte-long headers must not stay
# in memory for the whole run). Real ones are well under this.
_SHARED_MAX_LENGTH = 256


@functools.lru_cache(maxsize=4096)
def _shared_header(policy: MailClientPolicy, name: str, value: str):
    return policy._parsed(name, value)


MAIL_POLICY = MailClientPolicy()


def parse_email(data: bytes) -> EmailMessage:
    """One RFC 822 email from its bytes (an .eml file, a message of an mbox)."""
    return email.message_from_bytes(data, policy=MAIL_POLICY)


class _Reading:
    """What is read of one email so far: its text blocks, HTML, attachments, notes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.blocks: list[str] = []
        self.html = ""
        self.attachments: list[dict] = []
        self.removed: list[tuple[Message, int]] = []
        self.notes: dict[str, None] = {}  # in order, once each

    def note(self, text: str) -> None:
        self.notes[text] = None


def interaction_from_email(data: bytes, *, service: str = "") -> dict:
    """The route_interaction arguments of one RFC 822 email, from its bytes.

    The sender is the From address ("" when there is none: routing then records it
    against the client's "unknown sender"); recipients are To, Cc and Delivered-To as
    they read. The body is the text a mail client shows; `body_html`, `attachments`,
    `notes` and `raw_source` (the bytes as received, or with the content of the
    attachments not kept emptied) go with it. Without `service`, routing finds the
    service by the addresses it was sent to.

    Raises InteractionRejected only when the bytes are not an email at all (no
    header) or cannot be parsed.
    """
    try:
        return _interaction(data, service)
    except _PARSE_ERRORS as exc:
        raise InteractionRejected(
            {
                "__all__": [
                    _("The email cannot be parsed: %(error)s.")
                    % {"error": f"{type(exc).__name__}: {exc}"}
                ]
            }
        ) from exc


def _interaction(data: bytes, service: str) -> dict:
    message = parse_email(data)
    reading = _Reading(data)
    raw: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        raw.setdefault(name.lower(), []).append(value)
    if not raw:
        # Text with no header at all (notes, a file that is not an mbox): nothing
        # says it is an email, who sent it, or where it went.
        raise InteractionRejected(
            {"__all__": [_("Not an email: it has no header fields.")]}
        )
    sender, sender_name = _sender(raw, reading)
    recipients = _recipients(raw)
    subject = _header_text(message, raw, "Subject", reading)
    message_id = _unstructured(raw, "message-id").strip()
    occurred_at = _occurred_at(raw, reading)
    _read_part(message, reading, depth=0, shown=True, main=True)
    # Listed by the one definition the admin's downloads use to find them again
    # in the stored source: the n-th entry is the n-th part it yields.
    for part in attachment_parts(message):
        _add_attachment(part, reading)
    body = _clean_body(_joined(reading.blocks))
    arguments = {
        "service": service,
        "channel": "email",
        "sender": sender,
        "sender_name": sender_name,
        "recipients": recipients,
        "subject": subject,
        "body": body,
        "message_id": message_id,
        "occurred_at": occurred_at,
        "body_html": reading.html,
    }
    _remove_control_characters(arguments, reading)
    arguments["attachments"] = reading.attachments
    arguments["raw_source"] = _raw_source(message, reading)
    arguments["notes"] = list(reading.notes)
    return arguments


# --- Headers


def _unstructured(raw: dict[str, list[str]], name: str) -> str:
    """The first `name` header unfolded, its 8-bit bytes read as text ("" if none)."""
    values = raw.get(name)
    if not values:
        return ""
    return _LINESEP.sub("", _without_8bit(values[0]))


def _header_text(message, raw, name: str, reading: _Reading) -> str:
    """A text header decoded (encoded words in any charset); one that the email
    package cannot parse is recorded as it reads, with a note."""
    value = _unstructured(raw, name.lower())
    if "=?" not in value:
        return value
    _note_encoded_words(value, name, reading)
    try:
        text = str(message[name] or "")
    except _PARSE_ERRORS:
        reading.note(
            _("The %(header)s header cannot be decoded; it is recorded as it reads.")
            % {"header": name}
        )
        return value
    if "\ufffd" in text and "\ufffd" not in value:
        reading.note(_replaced_note(name))
    return text


def _note_encoded_words(value: str, name: str, reading: _Reading) -> None:
    for found in ENCODED_WORD.finditer(value):
        if not codec_for(found[1])[1]:
            reading.note(
                _(
                    "The %(header)s header names the unknown character set "
                    "%(charset)s: it was read as UTF-8, else Windows-1252."
                )
                % {"header": name, "charset": found[1]}
            )


def _decoded_words(text: str) -> str:
    """A display name's encoded words decoded."""
    if "=?" not in text:
        return text
    try:
        return str(MAIL_POLICY.header_fetch_parse("Subject", text))
    except _PARSE_ERRORS:
        return text


def _sender(raw, reading: _Reading) -> tuple[str, str]:
    """The From address and name. Legacy parsing (email.utils.parseaddr) reads
    display names with commas, "addr (Name)" comments and broken headers alike;
    the address must be one (validate_email) or the email has no sender."""
    if "from" not in raw:
        reading.note(_("The email has no From header."))
        return "", ""
    value = _unstructured(raw, "from")
    name, address = email.utils.parseaddr(value, strict=False)
    name = _decoded_words(name)
    try:
        validate_email(address)
    except ValidationError:
        reading.note(
            _("The From header %(value)r holds no address.") % {"value": value}
        )
        return "", name or _decoded_words(value)
    return address, name


def _split_addresses(value: str) -> list[str]:
    """The comma-separated items of an address header, commas inside quotes, angle
    brackets and comments left alone; a group's "name:" and ";" removed."""
    items, current, quoted, depth, angle = [], [], False, 0, False
    escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and not depth:
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")" and depth:
            depth -= 1
        elif not quoted and not depth and char in "<>":
            angle = char == "<"
        elif not quoted and not depth and not angle and char in ",;":
            items.append("".join(current))
            current = []
            continue
        elif not quoted and not depth and not angle and char == ":":
            current = []  # a group's display name
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _recipients(raw) -> list[str]:
    """To, Cc and Delivered-To, each address once (case-insensitively), in order;
    a malformed one ("XX", "sales@") as it reads: routing judges it."""
    found: dict[str, str] = {}
    for header in ("to", "cc", "delivered-to"):
        for value in raw.get(header, ()):
            value = " ".join(_without_8bit(value).split())
            for item in _split_addresses(value):
                _name, address = email.utils.parseaddr(item, strict=False)
                if "@" not in address or address.endswith("@"):
                    inside = re.search(r"<([^>]*)>", item)
                    address = (inside[1] if inside else item).strip()
                if address:
                    found.setdefault(address.lower(), address)
    return list(found.values())


def _occurred_at(raw, reading: _Reading) -> datetime.datetime | None:
    """The Date header's time (aware; -0000 is UTC), or None, with a note, when it
    is unreadable or impossible: routing then records the time of receipt."""
    value = _unstructured(raw, "date").strip()
    if not value:
        return None
    try:
        occurred_at = email.utils.parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError, OverflowError):
        occurred_at, problems = None, [_("not a date")]
    else:
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=datetime.UTC)
        problems = occurred_at_errors(occurred_at)
    if problems:
        reading.note(
            _(
                "The Date header %(value)r cannot be used (%(reason)s); the time of "
                "receipt is recorded instead."
            )
            % {"value": value, "reason": problems[0].rstrip(".")}
        )
        return None
    return occurred_at


def _remove_control_characters(arguments: dict, reading: _Reading) -> None:
    """Control characters and NUL out of every text (PostgreSQL cannot store NUL;
    the others are invisible), each removal noted; line breaks and tabs are text in
    a body. Lone surrogates (bytes nothing could decode) become U+FFFD."""
    labels = {
        "sender": "From",
        "sender_name": "From",
        "subject": "Subject",
        "message_id": "Message-ID",
        "body": _("body"),
        "body_html": _("HTML body"),
    }
    for key, label in labels.items():
        text = arguments[key]
        if key in ("subject", "sender_name", "message_id"):
            text = " ".join(text.replace("\r", "\n").split("\n"))
        cleaned = _clean_text(text, label, reading)
        arguments[key] = cleaned
    recipients = []
    for address in arguments["recipients"]:
        cleaned = _clean_text(address, "To", reading)
        if cleaned:
            recipients.append(cleaned)
    arguments["recipients"] = recipients


def _clean_text(text: str, label: str, reading: _Reading) -> str:
    if not NOT_TEXT.search(text):
        return text
    surrogates = re.compile("[\ud800-\udfff]")
    if surrogates.search(text):
        text = surrogates.sub("\ufffd", text)
        reading.note(_replaced_note(label))
    if NOT_TEXT.search(text):
        text = NOT_TEXT.sub("", text)
        reading.note(
            _("Control characters were removed from the %(where)s.") % {"where": label}
        )
    return text


def _replaced_note(where: str) -> str:
    return _(
        "Bytes of the %(where)s that are not text in its character set were "
        "replaced by the replacement character."
    ) % {"where": where}


# --- The MIME tree, walked as a mail client shows it


def _read_part(part: Message, reading: _Reading, *, depth, shown, main) -> None:
    """Add what `part` shows (text blocks) and holds (attachments, the main HTML)
    to `reading`. `shown`: a client shows this part (not an unchosen alternative);
    `main`: it is the email's own body, not a forwarded message's."""
    maintype, subtype = part.get_content_maintype(), part.get_content_subtype()
    if is_encoded_message(part):
        return  # listed as an attachment (a .eml), not shown
    if maintype == "message" and isinstance(part.get_payload(), list):
        if part.get_content_type() in NESTED_MESSAGES:
            inner = part.get_payload()
            if inner and isinstance(inner[0], Message):
                _read_forwarded(inner[0], reading, depth=depth, shown=shown)
            return
        if shown:  # message/delivery-status and the like: fields as text
            reading.blocks.append(_fields_text(part.get_payload()))
        return
    if part.is_multipart():
        _read_multipart(part, reading, depth=depth, shown=shown, main=main)
        return
    if maintype == "multipart":
        # Its boundary is missing or never appears: the email package leaves its
        # text as it came, and so does the record.
        if shown:
            reading.note(
                _(
                    "A multipart part has no boundary that divides it; it is shown "
                    "as its raw text."
                )
            )
            reading.blocks.append(_part_text(part, reading))
        return
    if is_attachment(part):
        return  # listed by _interaction, not shown
    if subtype == "html":
        html = _part_text(part, reading)
        if main and not reading.html:
            reading.html = html
        if shown:
            reading.blocks.append(_html_as_text(html))
    elif shown:
        reading.blocks.append(_part_text(part, reading))


def _read_multipart(part: Message, reading: _Reading, *, depth, shown, main):
    children = [child for child in part.get_payload() if isinstance(child, Message)]
    subtype = part.get_content_subtype()
    chosen = None
    if subtype == "alternative":
        chosen = _chosen_alternative(children)
    elif subtype == "related":
        chosen = _related_root(part, children)
    for index, child in enumerate(children):
        child_shown = shown and (chosen is None or index == chosen)
        _read_part(child, reading, depth=depth, shown=child_shown, main=main)


def _chosen_alternative(children: list[Message]) -> int | None:
    """The alternative a client without HTML shows: the plain text, else the HTML
    (or the multipart holding it), else the last."""
    if not children:
        return None
    kinds = [child.get_content_type() for child in children]
    for wanted in ("text/plain", "text/html"):
        if wanted in kinds:
            return kinds.index(wanted)
    for index, kind in enumerate(kinds):
        if kind.startswith("multipart/"):
            return index
    return len(children) - 1


def _related_root(part: Message, children: list[Message]) -> int | None:
    start = (part.get_param("start") or "").strip()
    if start:
        for index, child in enumerate(children):
            if (child.get("Content-ID") or "").strip() == start:
                return index
    return 0 if children else None


def _read_forwarded(inner: Message, reading: _Reading, *, depth, shown) -> None:
    """A forwarded message (message/rfc822, a digest's items) as a client shows
    it: a marked block with its From, Date, Subject and To, then its body."""
    if depth >= MAX_FORWARD_DEPTH:
        if shown:
            reading.note(
                _("Forwarded messages nested deeper than %(max)s are not shown.")
                % {"max": MAX_FORWARD_DEPTH}
            )
        return
    nested = _Reading(b"")
    _read_part(inner, nested, depth=depth + 1, shown=shown, main=False)
    reading.notes.update(nested.notes)
    if not shown:
        return
    raw: dict[str, list[str]] = {}
    for name, value in inner.raw_items():
        raw.setdefault(name.lower(), []).append(value)
    lines = [_("---------- Forwarded message ----------")]
    for name in ("From", "Date", "Subject", "To"):
        if text := _decoded_words(_unstructured(raw, name.lower())).strip():
            lines.append(f"{name}: {text}")
    reading.blocks.append("\n".join(lines) + "\n\n" + _joined(nested.blocks))


def _fields_text(blocks: list) -> str:
    """A delivery status (a bounce's reason) as its fields, one block of lines per
    recipient."""
    return "\n\n".join(
        "\n".join(
            f"{name}: {' '.join(_without_8bit(value).split())}"
            for name, value in block.raw_items()
        )
        for block in blocks
        if isinstance(block, Message)
    )


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message, reading: _Reading) -> str:
    """A text part's content, decoded by its declared charset as clients read it."""
    decoded = decode_text(_payload_bytes(part), part.get_content_charset())
    if decoded.replaced:
        reading.note(_replaced_note(_("body")))
    if decoded.unknown_charset:
        reading.note(
            _(
                "The body names the unknown character set %(charset)s: it was read as "
                "UTF-8, else Windows-1252."
            )
            % {"charset": decoded.unknown_charset}
        )
    return decoded.text


def _html_as_text(html: str) -> str:
    """HTML as readable text (inscriptis: paragraphs, lists as bullets, links, no
    CSS or script). Control characters are removed first: lxml refuses them."""
    html = NOT_TEXT.sub("", html)
    if not html.strip():
        return ""
    try:
        return get_text(html, _HTML_AS_TEXT)
    except _PARSE_ERRORS:
        # lxml refuses a few documents (an XML declaration in text): tags removed.
        return unescape(strip_tags(html))


def _add_attachment(part: Message, reading: _Reading) -> None:
    kind = part.get_content_type()
    content = attachment_bytes(part)
    try:
        name = part.get_filename()
    except _PARSE_ERRORS:
        name = None
    number = len(reading.attachments) + 1
    if not name or not str(name).strip():
        extension = mimetypes.guess_extension(kind) or ".bin"
        name = f"attachment-{number}{extension}"
    name = " ".join(_without_8bit(str(name)).split())
    kept = settings.EMAIL_STORE_ATTACHMENTS and (
        len(content) <= settings.EMAIL_ATTACHMENT_MAX_BYTES
    )
    reading.attachments.append(
        {"name": name, "type": kind, "size": len(content), "kept": kept}
    )
    if not kept:
        reading.removed.append((part, len(content)))
        reading.note(
            _("The content of the attachment %(name)s (%(size)s bytes) was not kept.")
            % {"name": name, "size": f"{len(content):,}"}
        )


def _joined(blocks: list[str]) -> str:
    """Text blocks (the parts a client shows one after another), a blank line
    between each."""
    return "\n\n".join(text for block in blocks if (text := block.strip("\r\n")))


def _clean_body(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).replace("\xa0", " ").strip()


def _raw_source(message: EmailMessage, reading: _Reading) -> bytes:
    """The email as received; with the content of each attachment not kept emptied
    and said so in a header of its part (X-Ccadmin-Content-Removed)."""
    if not reading.removed:
        return reading.data
    for part, size in reading.removed:
        part.set_payload("")
        part["X-Ccadmin-Content-Removed"] = f"{size} bytes"
    head = reading.data.split(b"\n\n", 1)[0]
    linesep = "\r\n" if b"\r\n" in head else "\n"
    policy = message.policy.clone(refold_source="none", linesep=linesep)
    out = BytesIO()
    try:
        BytesGenerator(out, policy=policy).flatten(message)
    except _PARSE_ERRORS:
        # The email package cannot write this one back: its header section alone,
        # rather than content that must not be kept.
        total = sum(size for _part, size in reading.removed)
        end = linesep.encode()
        head = re.split(rb"\r?\n\r?\n", reading.data, maxsplit=1)[0]
        return head + end + b"X-Ccadmin-Content-Removed: %d bytes" % total + end * 2
    return out.getvalue()
