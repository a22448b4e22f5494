"""The file an administrator uploads to "Import contacts", kept on the server between
the page's steps (map the columns, preview the rows, confirm).

Not in the session or a cookie: a client's customer list may be as large as
CONTACT_IMPORT_MAX_UPLOAD_SIZE (20 MiB by default), far beyond what a session row or
a cookie should carry. On disk under CONTACT_IMPORT_UPLOAD_DIR instead, like the
offboarding exports (partitions/export_store.py): one file per upload, named by a
random token, with a small JSON file beside it saying who uploaded it (user and
tenant) and under which name. Only that user may use the token; the admin also keeps
the token in that user's session, so a token seen elsewhere (a log, a shoulder) is
worth nothing to anybody else.

An upload is deleted as soon as its import ran, and any upload older than
CONTACT_IMPORT_UPLOAD_MAX_AGE (a day: an administrator who walked away) is deleted
by the next upload (`discard_stale`), so customer lists do not pile up on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

# secrets.token_urlsafe(24): 32 characters of [A-Za-z0-9_-]. Anything else is no token
# (and never becomes a path: no "/" or "..").
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_DATA = ".upload"
_META = ".json"


@dataclass(frozen=True)
class StoredUpload:
    """A customer list uploaded to "Import contacts" and kept for its next steps."""

    token: str
    user_id: int
    tenant_id: int
    filename: str
    created: float

    @property
    def path(self) -> Path:
        """Where the file's bytes are."""
        return _folder() / f"{self.token}{_DATA}"

    def open(self) -> IO[bytes]:
        """The file, for reading (the caller closes it)."""
        return self.path.open("rb")


def _folder() -> Path:
    folder = Path(settings.CONTACT_IMPORT_UPLOAD_DIR)
    # Customer lists: readable by the application's account only.
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _write_private(path: Path, chunks) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        for chunk in chunks:
            out.write(chunk)


def save_upload(upload: UploadedFile, *, user_id: int, tenant_id: int) -> StoredUpload:
    """Keep `upload` for the next steps of its import by `user_id` into
    `tenant_id`; first deletes the uploads older than a day."""
    discard_stale()
    folder = _folder()
    stored = StoredUpload(
        token=secrets.token_urlsafe(24),
        user_id=user_id,
        tenant_id=tenant_id,
        filename=Path(upload.name or "").name,
        created=time.time(),
    )
    upload.seek(0)
    _write_private(stored.path, upload.chunks())
    meta = {
        "user": stored.user_id,
        "tenant": stored.tenant_id,
        "filename": stored.filename,
        "created": stored.created,
    }
    _write_private(folder / f"{stored.token}{_META}", [json.dumps(meta).encode()])
    return stored


def load_upload(token: str, *, user_id: int) -> StoredUpload | None:
    """The upload `token` if `user_id` made it and it is still kept; None for a
    malformed token, another user's upload, or one deleted or expired."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    folder = _folder()
    try:
        meta = json.loads((folder / f"{token}{_META}").read_text())
        stored = StoredUpload(
            token=token,
            user_id=int(meta["user"]),
            tenant_id=int(meta["tenant"]),
            filename=str(meta["filename"]),
            created=float(meta["created"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if stored.user_id != user_id:
        return None
    try:
        # Judged by the file's time, as discard_stale judges it.
        if _expired(stored.path.stat().st_mtime):
            return None
    except FileNotFoundError:
        return None
    return stored


def discard_upload(token: str) -> None:
    """Delete an upload (its import ran, or it was replaced)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return
    folder = _folder()
    for suffix in (_DATA, _META):
        with contextlib.suppress(FileNotFoundError):
            (folder / f"{token}{suffix}").unlink()


def _expired(created: float, now: float | None = None) -> bool:
    age = (now if now is not None else time.time()) - created
    return age > settings.CONTACT_IMPORT_UPLOAD_MAX_AGE


def discard_stale(now: float | None = None) -> int:
    """Delete the uploads older than CONTACT_IMPORT_UPLOAD_MAX_AGE (by the time
    their files were written); returns how many."""
    folder = _folder()
    removed = 0
    for path in folder.iterdir():
        if path.suffix not in (_DATA, _META) or not _TOKEN.fullmatch(path.stem):
            continue
        try:
            written = path.stat().st_mtime
        except FileNotFoundError:
            continue
        if _expired(written, now):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            removed += path.suffix == _DATA
    return removed
