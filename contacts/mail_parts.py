"""Which parts of an email are its attachments, in order: the one definition that
intake (interactions, listing an email's attachments into Email.attachments) and the
admin (downloading the n-th of them from the stored source) share.

An attachment is found by its position: the n-th entry of Email.attachments is the
n-th part `attachment_parts` yields from the email's source. Both sides must walk
the message with this function, or a download would hand out another part.
"""

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message

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
            return part.get_payload(decode=True) or b""
    return None
