"""Incoming interactions as gateways deliver them: JSON objects (JSON Lines files and
the HTTP API) turned into the arguments of `interactions.routing.route_interaction`,
and the files that hold them (JSON Lines, mbox). Email itself is read in
interactions/mail.py.

Gateways are outside the contact center's control, so the rules about hostile JSON
are here, once (issue 10): JSON too large or nested too deep (`load_json`), control
characters and NUL in any field (`control_character_errors`), and times in the
future or with impossible offsets (`occurred_at_errors`). Email records what it can
with a note instead (issue 17), using the same definitions.
"""

from __future__ import annotations

import datetime
import email.policy
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from interactions.charsets import with_known_charsets
from interactions.routing import InteractionRejected

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
    "withheld",
)


# An interaction is flat: an array of them (a batch) holds objects holding at most a
# list of addresses, three levels. Anything deeper is not an interaction.
JSON_MAX_DEPTH = 10

# The largest offset from UTC any time zone uses (Kiribati, +14:00; -12:00 westward).
MAX_UTC_OFFSET = datetime.timedelta(hours=14)

# Before this, a time is a broken clock, not a call or an email (and PostgreSQL would
# store an offset year 1 as 1 BC, which Python cannot read back).
EARLIEST_OCCURRED_AT = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)

# Unicode's control characters (category Cc: U+0000-U+001F, U+007F-U+009F) but tab,
# line feed and carriage return, which are text (a body's lines); and lone surrogates
# (category Cs). A regular expression rather than a loop over unicodedata: bodies are
# long and this runs on every record.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# The input's field name of each route_interaction argument, for error messages.
_FIELD_OF_ARGUMENT = {"sender": "from", "sender_name": "from", "recipients": "to"}


def load_json(
    raw: bytes | str, *, max_bytes: int | None = None, line: int | None = None
) -> object:
    """The JSON value of `raw` (a request body or one line of a JSON Lines file,
    `line` being that line's number in the file).

    Raises InteractionRejected when it is larger than `max_bytes` (default: the
    DATA_UPLOAD_MAX_MEMORY_SIZE the HTTP API accepts), not UTF-8, not JSON, or nested
    deeper than JSON_MAX_DEPTH; never RecursionError.
    """
    if max_bytes is None:
        max_bytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if max_bytes is not None and len(raw) > max_bytes:
        raise InteractionRejected(
            {
                "__all__": [
                    _("Too large: more than %(max)s bytes of JSON.")
                    % {"max": f"{max_bytes:,}"}
                ]
            }
        )
    if isinstance(raw, bytes):
        # Decoded strictly: text in another encoding is refused instead of being
        # recorded garbled.
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InteractionRejected(
                {"__all__": [_("Not UTF-8 text: %(error)s.") % {"error": exc.reason}]}
            ) from exc
    too_deep = InteractionRejected(
        {
            "__all__": [
                _("JSON nested deeper than %(max)s levels.") % {"max": JSON_MAX_DEPTH}
            ]
        }
    )
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        # The decoder recurses once per level: thousands of "[" exhaust the stack.
        raise too_deep from exc
    except json.JSONDecodeError as exc:
        # json counts lines within `raw`: for a line of a file that is always
        # "line 1", so the file's own line number is given instead.
        raise InteractionRejected(
            {
                "__all__": [
                    _("Not valid JSON (line %(line)s, column %(column)s): %(error)s.")
                    % {
                        "line": exc.lineno if line is None else line,
                        "column": exc.colno,
                        "error": exc.msg,
                    }
                ]
            }
        ) from exc
    except ValueError as exc:
        # The one other ValueError of json.loads: an integer longer than Python
        # converts (sys.get_int_max_str_digits). Its own text names Python's
        # internals, not the caller's mistake.
        raise InteractionRejected(
            {
                "__all__": [
                    _("Not valid JSON: a number has more than %(max)s digits.")
                    % {"max": sys.get_int_max_str_digits()}
                ]
            }
        ) from exc
    if _depth(data) > JSON_MAX_DEPTH:
        raise too_deep
    return data


def _depth(data: object) -> int:
    """How many arrays and objects deep `data` is (walked without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            stack.extend((item, level + 1) for item in value)
    return deepest


def control_character_errors(arguments: Mapping[str, object]) -> dict[str, list[str]]:
    """The errors, per input field, of control characters and NUL in the
    route_interaction `arguments` of one interaction (from JSON or from an email).

    PostgreSQL cannot store NUL in text, and the other control characters have no
    place in a subject, an address or a body: refusing the record, with the field
    and the character named, beats a 500 or an invisible character in the record.
    A lone surrogate (JSON's "\\ud800", an undecodable byte) is not text either: no
    database can encode it.
    """
    errors: dict[str, list[str]] = {}
    for argument, value in arguments.items():
        values = value if isinstance(value, list | tuple) else [value]
        for text in values:
            message = _character_error(text) if isinstance(text, str) else None
            if message:
                field = _FIELD_OF_ARGUMENT.get(argument, argument)
                errors.setdefault(field, []).append(message)
                break
    return errors


def _character_error(text: str) -> str | None:
    found = NOT_TEXT.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return _(
            "Contains U+%(code)04X, half of a surrogate pair, which is not text."
        ) % {"code": code}
    return _(
        "Contains the control character U+%(code)04X; control characters and NUL "
        "are not allowed."
    ) % {"code": code}


def occurred_at_errors(value: datetime.datetime | None) -> list[str]:
    """Why `value` cannot be an incoming interaction's time, or [] if it can.

    Refused: an offset from UTC beyond ±14:00 (no time zone has one), a time more
    than INTERACTION_MAX_FUTURE_SECONDS after now (a gateway's clock may run a little
    ahead; an email dated the year 9999 is not real, and its time would overflow on
    display), and a time before 1900.
    """
    if value is None:
        return []
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return [
            _("The offset from UTC %(offset)s is beyond ±14:00.")
            % {"offset": value.strftime("%z")}
        ]
    if timezone.is_naive(value):
        # Read in the server's time zone, as routing will store it.
        value = value.replace(tzinfo=timezone.get_current_timezone())
    latest = timezone.now() + datetime.timedelta(
        seconds=settings.INTERACTION_MAX_FUTURE_SECONDS
    )
    # Comparing aware times never overflows (unlike converting them): safe for 9999.
    if value > latest:
        return [
            _("%(value)s is in the future (more than %(seconds)s seconds from now).")
            % {
                "value": value.isoformat(),
                "seconds": settings.INTERACTION_MAX_FUTURE_SECONDS,
            }
        ]
    if value < EARLIEST_OCCURRED_AT:
        return [_("%(value)s is before 1900.") % {"value": value.isoformat()}]
    return []


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
        if field == "withheld":
            # A call whose caller ID the network withheld (routing records it
            # against the client's "Withheld number" contact).
            if value is not None and not isinstance(value, bool):
                errors[field] = [_("Expected true or false.")]
            continue
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
        elif problems := occurred_at_errors(occurred_at):
            errors["occurred_at"] = problems
    for field, messages in control_character_errors(
        {field: data.get(field) for field in JSON_FIELDS}
    ).items():
        errors.setdefault(field, messages)
    if errors:
        raise InteractionRejected(errors)
    service = data.get("service")
    if isinstance(service, bool):
        raise InteractionRejected({"service": [_("Expected text.")]})
    arguments = {
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
    if data.get("withheld"):
        # Only when true: route_interaction's `withheld` defaults to False.
        arguments["withheld"] = True
    # Again once decoded: an encoded word can hide a NUL (=?UTF-8?B?AA==?=).
    if errors := control_character_errors(arguments):
        raise InteractionRejected(errors)
    return arguments


def decoded_header(name: str, value: str) -> str:
    """A header value with its encoded words (=?charset?B?...?=) decoded, as the
    `email` package decodes them in a real message; plain text is left as it is."""
    if "=?" not in value:
        return value
    try:
        # Charsets read as mail clients read them (Shift_JIS as cp932, ...).
        return str(
            email.policy.default.header_factory(name, with_known_charsets(value))
        )
    except (LookupError, ValueError, IndexError):
        return value


class RawRecord(NamedTuple):
    """One record of a file as read, not yet parsed: its number in the file (line of
    a JSON Lines file, message of an mbox), its bytes, and how many bytes of the file
    it took (for the progress bar)."""

    number: int
    data: bytes
    size: int


def read_jsonl(path: Path, *, max_bytes: int | None = None) -> Iterator[RawRecord]:
    """Each non-blank line of a JSON Lines file, read as a stream.

    A line longer than `max_bytes` (default DATA_UPLOAD_MAX_MEMORY_SIZE) is not held
    in memory: its first max_bytes + 1 bytes are yielded, which load_json refuses as
    too large, and the rest is skipped.
    """
    if max_bytes is None:
        max_bytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    limit = -1 if max_bytes is None else max_bytes + 1
    with path.open("rb") as handle:
        number = 0
        while line := handle.readline(limit):
            number += 1
            size = len(line)
            if not line.endswith(b"\n") and len(line) == limit:
                while rest := handle.readline(1 << 20):
                    size += len(rest)
                    if rest.endswith(b"\n"):
                        break
            if line.strip():
                yield RawRecord(number, line, size)


def read_mbox(path: Path) -> Iterator[RawRecord]:
    """Each email of an mbox file, in order, read as a stream.

    Written by hand rather than with mailbox.mbox: that class first reads the whole
    file to build a table of every message's offsets, then seeks back to each one, so
    nothing is routed until a multi-gigabyte file has been read once, and the table
    grows with the file. Here the file is read once, holding one message at a time.
    The rule is mailbox's: a line starting with "From " (the envelope line) begins
    the next message; writers escape such lines in bodies as ">From ".
    """
    with path.open("rb") as handle:
        number, lines, size = 0, [], 0
        for line in handle:
            if line.startswith(b"From "):
                if number or any(x.strip() for x in lines):
                    # Text before the first envelope line is yielded too (as #1), so
                    # that a file that is not an mbox is refused, not ignored.
                    number = max(number, 1)
                    yield RawRecord(number, _message_bytes(lines), size)
                number, lines, size = number + 1, [], len(line)
                continue
            lines.append(line)
            size += len(line)
        if number or any(x.strip() for x in lines):
            yield RawRecord(max(number, 1), _message_bytes(lines), size)


def _message_bytes(lines: list[bytes]) -> bytes:
    # The blank line before the next envelope line separates messages: not content.
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    return b"".join(lines)
