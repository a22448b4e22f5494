"""Incoming interactions as gateways deliver them: JSON objects (JSON Lines files and
the HTTP API) and RFC 822 email (.eml files, mbox), turned into the arguments of
`interactions.routing.route_interaction`.

Email is parsed with Python's `email` package and its modern policy, which decodes
encoded words (=?UTF-8?B?...?=, =?ISO-2022-JP?B?...?=) in subjects and names, and
walks multipart bodies.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from interactions.routing import InteractionRejected

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# The fields of one interaction in JSON, each a string ("to" may be a list).
JSON_FIELDS = (
    "service",
    "channel",
    "from",
    "to",
    "subject",
    "body",
    "message_id",
    "occurred_at",
)


def interaction_from_json(data: object, *, default_service: str = "") -> dict:
    """The route_interaction arguments of one JSON interaction.

    Raises InteractionRejected naming each wrong field (unknown fields too: a typo
    such as "form" must not silently lose the sender).
    """
    if not isinstance(data, dict):
        raise InteractionRejected(
            {"__all__": [_("Expected a JSON object with the interaction's fields.")]}
        )
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(JSON_FIELDS))
    if unknown:
        errors["__all__"] = [
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}
        ]
    for field in JSON_FIELDS:
        value = data.get(field)
        allowed = (
            (str, list)
            if field == "to"
            else (str, int)
            if field == "service"
            else (str,)
        )
        if value is not None and not isinstance(value, allowed):
            errors[field] = [_("Expected text.")]
    recipients = data.get("to") or []
    if isinstance(recipients, list) and not all(isinstance(r, str) for r in recipients):
        errors["to"] = [_("Expected an address or a list of addresses.")]
    occurred_at = None
    if isinstance(data.get("occurred_at"), str) and data["occurred_at"].strip():
        try:
            occurred_at = parse_datetime(data["occurred_at"].strip())
        except ValueError:
            occurred_at = None
        if occurred_at is None:
            errors["occurred_at"] = [
                _("Enter a date and time in ISO 8601, e.g. 2026-04-01T09:30:00+09:00.")
            ]
    # NUL and control characters (but tab and line breaks) are refused per field: a
    # NUL cannot be stored in PostgreSQL text and would fail the record later.
    for field in JSON_FIELDS:
        value = data.get(field)
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and _CONTROL.search(text) for text in texts):
            errors.setdefault(field, [_("Control characters are not allowed here.")])
    if errors:
        raise InteractionRejected(errors)
    service = data.get("service")
    if isinstance(service, bool):
        raise InteractionRejected({"service": [_("Expected text.")]})
    return {
        "service": service if service not in (None, "") else default_service,
        "channel": data.get("channel") or "",
        # Gateways often pass headers on as they arrived, with encoded words.
        "sender": decoded_header("From", data.get("from") or ""),
        "recipients": recipients,
        "subject": decoded_header("Subject", data.get("subject") or ""),
        "body": data.get("body") or "",
        "message_id": data.get("message_id") or "",
        "occurred_at": occurred_at,
    }


def decoded_header(name: str, value: str) -> str:
    """A header value with its encoded words (=?charset?B?...?=) decoded, as the
    `email` package decodes them in a real message; plain text is left as it is."""
    if "=?" not in value:
        return value
    try:
        return str(email.policy.default.header_factory(name, value))
    except (LookupError, ValueError, IndexError):
        return value


def interaction_from_email(message: EmailMessage, *, service: str = "") -> dict:
    """The route_interaction arguments of one RFC 822 email.

    Headers are decoded (encoded words, any charset Python knows); the body is the
    plain-text part, else the HTML part with its tags removed. Without `service`,
    routing finds the service by the To, Cc or Delivered-To address.
    """
    errors: dict[str, list[str]] = {}
    sender, sender_name = "", ""
    try:
        from_header = message["From"]
        addresses = from_header.addresses if from_header is not None else ()
    except (IndexError, ValueError, TypeError):
        addresses = ()
    if addresses:
        sender, sender_name = addresses[0].addr_spec, addresses[0].display_name
    elif message["From"] is None:
        errors["from"] = [_("The email has no From header.")]
    else:
        errors["from"] = [
            _("The From header %(value)r holds no address.")
            % {"value": str(message["From"])}
        ]
    recipients = []
    for header in ("To", "Cc", "Delivered-To"):
        for value in message.get_all(header, []):
            try:
                recipients += [a.addr_spec for a in value.addresses if a.addr_spec]
            except (AttributeError, IndexError, ValueError):
                recipients.append(str(value))
    occurred_at = None
    date = message["Date"]
    if date is not None:
        occurred_at = getattr(date, "datetime", None)
        if occurred_at is None:
            errors["occurred_at"] = [
                _("The Date header %(value)r is not a date.") % {"value": str(date)}
            ]
    if errors:
        raise InteractionRejected(errors)
    return {
        "service": service,
        "channel": "email",
        "sender": sender,
        "sender_name": sender_name,
        "recipients": recipients,
        "subject": str(message["Subject"] or ""),
        "body": email_body(message),
        "message_id": str(message["Message-ID"] or "").strip(),
        "occurred_at": occurred_at,
    }


def email_body(message: EmailMessage) -> str:
    """The readable text of an email: its plain part, else its HTML part as text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError):
        # An unknown charset: keep what can be read rather than lose the email.
        text = part.get_payload(decode=True).decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        text = strip_tags(text)
    return text.replace("\r\n", "\n").strip()


def read_eml(path: Path) -> EmailMessage:
    """One email from an .eml file."""
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def read_mbox(path: Path) -> Iterator[EmailMessage]:
    """Each email of an mbox file, in order."""
    box = mailbox.mbox(
        path,
        factory=lambda handle: email.message_from_binary_file(
            handle, policy=email.policy.default
        ),
        create=False,
    )
    try:
        yield from box
    finally:
        box.close()
