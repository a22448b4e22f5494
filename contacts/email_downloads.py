"""Downloads of what intake kept of an email: its original RFC 822 source and the
content of each attachment kept in it.

Always served as attachments, never shown inline: an email is hostile input, and an
HTML attachment opened in the admin's origin could act as the administrator. The
caller (the email's admin page) has already checked that the viewer may see the email.
"""

import io
import re

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from contacts.mail_parts import PARSE_ERRORS, attachment_content
from contacts.models import Email, EmailSource

# Characters no file name offered to a browser holds: control characters (a line
# break would end the header) and the path separators of any system.
_UNSAFE_IN_FILENAME = re.compile(r"[\x00-\x1f\x7f-\x9f/\\]")


def source_of(email: Email) -> EmailSource:
    """The stored source of `email`; 404 when intake kept none (an email typed in
    the admin, or recorded before sources were kept)."""
    source = EmailSource.objects.filter(email_id=email.pk).first()
    if source is None:
        raise Http404(_("No original message is stored for this email."))
    return source


def original_response(email: Email) -> FileResponse:
    """The email's source as received, as the download "email-<id>.eml"
    (message/rfc822, which every mail client opens)."""
    return FileResponse(
        io.BytesIO(source_of(email).raw()),
        as_attachment=True,
        filename=f"email-{email.pk}.eml",
        content_type="message/rfc822",
    )


def attachment_response(email: Email, index: int) -> FileResponse:
    """The content of the email's `index`-th attachment (counted from 0, in the
    order of Email.attachments), under its own file name, as an opaque download
    (application/octet-stream, Content-Disposition: attachment; a non-ASCII name is
    sent RFC 5987-encoded by Django). 404 when there is no such attachment or its
    content was not kept."""
    entries = email.attachments if isinstance(email.attachments, list) else []
    entry = entries[index] if 0 <= index < len(entries) else None
    if not isinstance(entry, dict) or not entry.get("kept"):
        raise Http404(_("The content of this attachment is not stored."))
    try:
        content = attachment_content(source_of(email).raw(), index)
    except PARSE_ERRORS as exc:
        # The email package refused a part of a hostile source: nothing to serve.
        raise Http404(_("The content of this attachment is not stored.")) from exc
    if content is None:
        raise Http404(_("The content of this attachment is not stored."))
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=download_name(entry.get("name"), f"attachment-{index + 1}"),
        content_type="application/octet-stream",
    )


def download_name(name, fallback: str) -> str:
    """An attachment's name as offered to the browser: without control characters
    or path separators, `fallback` when nothing is left."""
    cleaned = _UNSAFE_IN_FILENAME.sub("_", str(name or "")).strip(" .")
    return cleaned or fallback
