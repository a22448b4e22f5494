"""Zips handed to a browser or a script as a download: a client's export, a data
subject's records."""

import tempfile
from collections.abc import Callable
from typing import IO

from django.http import FileResponse


def zip_download(write: Callable[[IO[bytes]], object], filename: str) -> FileResponse:
    """The zip that `write(file)` writes, sent as the attachment `filename`.

    Written to a temporary file on disk, not to memory: a large client's export runs
    to gigabytes, and a person's emails can carry large attachments. The file is
    deleted when the response closes it, or at once when `write` fails (its error
    goes on to the caller, which answers it as its page or API does).
    """
    archive = tempfile.TemporaryFile()
    try:
        write(archive)
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return FileResponse(
        archive, as_attachment=True, filename=filename, content_type="application/zip"
    )
