"""Which parts of an email are its attachments, in order: the one definition that
intake (interactions, listing an email's attachments into Email.attachments) and the
admin (downloading the n-th of them from the stored source) share.

An attachment is found by its position: the n-th entry of Email.attachments is the
n-th part `attachment_parts` yields from the email's source. Both sides must walk
the message with this function, or a download would hand out another part.
"""

import base64
import email.errors
import quopri
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message

# What the email package (and the HTML reader behind intake) raise on hostile input:
# intake refuses or notes such a message, a download answers 404, never a 500.
PARSE_ERRORS = (
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    IndexError,
    AssertionError,
    RecursionError,
    email.errors.MessageError,
)

# The depth of nested messages (forwarded inside forwarded ...) walked: deeper parts
# are not listed, so a hostile message cannot make intake recurse without end.
MAX_DEPTH = 10

# Messages nested whole in a part (forwarded as an attachment, digest items): their
# parts are walked as the parent's; the nested message itself is shown as text.
NESTED_MESSAGES = frozenset({"message/rfc822", "message/global", "message/news"})


def attachment_parts(message: Message) -> Iterator[Message]:
    """The attachments of `message`, in message order (depth first, as
    Message.walk() visits them): every leaf part that a mail client does not show
    as text, i.e. one with `Content-Disposition: attachment`, or any part whose
    type is not text (images, PDFs, application/*, audio, video, a multipart/signed
    signature). Containers are not attachments themselves: multiparts and nested
    messages (message/rfc822) are walked into; other message/* parts (a bounce's
    delivery-status) are shown as text; a multipart whose boundary is missing is
    shown as its raw text.
    """
    yield from _walk(message, 0)


def _walk(part: Message, depth: int) -> Iterator[Message]:
    if depth > MAX_DEPTH:
        return
    content_type = part.get_content_type()
    if is_encoded_message(part):
        yield part  # a forwarded .eml sent base64: an attachment, as clients show it
        return
    if content_type in NESTED_MESSAGES and part.is_multipart():
        for nested in part.get_payload():
            yield from _walk(nested, depth + 1)
        return
    if part.is_multipart():
        if part.get_content_maintype() == "message":
            return  # delivery-status and the like: header blocks, shown as text
        for child in part.get_payload():
            yield from _walk(child, depth)
        return
    if is_attachment(part):
        yield part


def is_encoded_message(part: Message) -> bool:
    """Whether `part` is a forwarded message sent base64 or quoted-printable (which
    RFC 2046 forbids, and some clients do). The email package then reads the encoded
    text as a message of its own, with no header: it is an attachment, a .eml, not
    text to show."""
    return part.get_content_type() in NESTED_MESSAGES and (
        part.get("Content-Transfer-Encoding", "").strip().lower()
        in ("base64", "quoted-printable")
    )


def attachment_bytes(part: Message) -> bytes:
    """The decoded content of an attachment part (base64 / quoted-printable
    undone), an encoded forwarded message included."""
    if is_encoded_message(part) and part.is_multipart():
        inner = part.get_payload()
        encoded = inner[0].as_bytes().lstrip(b"\r\n") if inner else b""
        if part["Content-Transfer-Encoding"].strip().lower() == "base64":
            return base64.b64decode(encoded, validate=False)
        return quopri.decodestring(encoded)
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def is_attachment(part: Message) -> bool:
    """Whether a leaf part (not a multipart, not a parsed nested message) is an
    attachment rather than text a mail client shows: `Content-Disposition:
    attachment`, or a type that is not text. A message/* part the email package did
    not parse as a message (message/partial, an encoded message/rfc822) is one; a
    multipart whose boundary is missing is not (intake shows its raw text)."""
    maintype = part.get_content_maintype()
    if maintype == "multipart":
        return False
    if part.get_content_disposition() == "attachment":
        return True
    return maintype != "text"


def attachment_content(raw: bytes, index: int) -> bytes | None:
    """The decoded content (base64 / quoted-printable undone) of the `index`-th
    attachment of the message `raw`, or None when it has no such attachment."""
    if index < 0:
        return None
    message = message_from_bytes(raw, policy=policy.default)
    for position, part in enumerate(attachment_parts(message)):
        if position == index:
            return attachment_bytes(part)
    return None
