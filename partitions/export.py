"""Export of one BPO client's data: the zip a contact center hands over when a
client's contract ends, before deleting the client partition.

The zip holds one CSV file per kind of record (contacts, companies, emails, activity
history, services: what the apps registered in partitions.registry, with the file
names and columns they gave), the folders of files the apps registered (the
original messages, `emails/<email id>.eml`) and `manifest.json` with the counts and
the time. Rows are read with server-side cursors in chunks and written straight into
the zip, so memory stays flat whatever the client's size. On PostgreSQL every file
is read from one snapshot (REPEATABLE READ), so the files agree with each other and
with the manifest's counts.

The command (`manage.py partitions export`) and the admin's "Export data" button both
call `export_client_partition`; it writes the audit entry.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ccadmin import audit
from ccadmin.counts import counts_in_words
from ccadmin.csvsafe import escape_cell
from ccadmin.times import local_iso
from partitions import registry
from partitions.models import ClientPartition

EXPORT_FORMAT = "ccadmin-client-partition-export"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
# A BOM lets Excel (the tool a client's staff will most likely open the files with)
# read Japanese names as UTF-8; Python's csv reads it with encoding="utf-8-sig".
CSV_ENCODING = "utf-8-sig"
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ExportManifest:
    """What an export holds: whose data, when, by whom, and how many rows of each."""

    tenant_slug: str
    tenant_name: str
    partition_id: int
    partition_name: str
    description: str
    enabled: bool
    exported_at: datetime
    exported_by: str
    counts: dict[str, int]
    # SHA-256 of every file in the zip but the manifest itself, by its name in the
    # zip: the client can check each file it was handed.
    sha256: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The manifest as written to manifest.json."""
        return {
            "format": EXPORT_FORMAT,
            "version": FORMAT_VERSION,
            "tenant": {"slug": self.tenant_slug, "name": self.tenant_name},
            "client_partition": {
                "id": self.partition_id,
                "name": self.partition_name,
                "description": self.description,
                "enabled": self.enabled,
            },
            "exported_at": local_iso(self.exported_at),
            "exported_by": self.exported_by,
            "encoding": "UTF-8 with BOM, RFC 4180 CSV",
            "files": {c.key: c.export.filename for c in registry.contents()},
            # Folders of files beyond the tables (original messages): their counts
            # are under the same keys in "counts".
            "folders": {f.key: f"{f.folder}/" for f in registry.export_files()},
            "counts": self.counts,
            "sha256": self.sha256,
        }

    def describe(self) -> str:
        """One sentence for messages and the audit trail."""
        return counts_in_words(
            self.counts, ("contacts", "companies", "emails", "activities", "services")
        )


def export_client_partition(
    partition: ClientPartition, fileobj: IO[bytes], *, actor
) -> ExportManifest:
    """Write the client's data as a zip into `fileobj`, and audit the export.

    The file object needs only `write` (a file, a temporary file, a socket wrapper).
    """
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    with _snapshot(), zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as archive:
        partition = ClientPartition.objects.select_related("tenant").get(
            pk=partition.pk
        )
        # Every time in the files (cells, manifest) in the contact center's own
        # zone, with its offset: the client reads its own local times, tools the
        # exact instant.
        with timezone.override(partition.tenant.zone):
            for content in registry.contents():
                counts[content.key] = _write_table(archive, content, partition, digests)
            for files in registry.export_files():
                counts[files.key] = _write_files(archive, files, partition, digests)
            manifest = ExportManifest(
                tenant_slug=partition.tenant.slug,
                tenant_name=partition.tenant.name,
                partition_id=partition.pk,
                partition_name=partition.name,
                description=partition.description,
                enabled=partition.enabled,
                exported_at=timezone.now(),
                exported_by=actor.get_username(),
                counts=counts,
                sha256=digests,
            )
            archive.writestr(
                _entry(MANIFEST_NAME),
                json.dumps(manifest.as_dict(), ensure_ascii=False, indent=2),
            )
    # After the read-only snapshot: the audit entry is a write.
    audit.log_export(
        actor, partition, _("Exported the client's data: %s") % manifest.describe()
    )
    return manifest


def export_to_path(partition: ClientPartition, path: Path, *, actor) -> ExportManifest:
    """Export into the file at `path`, which appears only once complete: the zip is
    written beside it under a temporary name and renamed, so a failed export never
    leaves a truncated file that looks like a good one."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            manifest = export_client_partition(partition, out, actor=actor)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return manifest


def export_filename(partition: ClientPartition, when: datetime | None = None) -> str:
    """The file name offered for a client's export, e.g. acme-insurance-20260101.zip."""
    when = timezone.localtime(when or timezone.now())
    stem = slugify(partition.name, allow_unicode=True) or "client"
    return f"{stem}-{when:%Y%m%d-%H%M%S}.zip"


def _write_table(
    archive: zipfile.ZipFile,
    content: registry.PartitionContent,
    partition: ClientPartition,
    digests: dict[str, str],
) -> int:
    count = 0
    name = content.export.filename
    digest = hashlib.sha256()
    with (
        archive.open(_entry(name), "w", force_zip64=True) as raw,
        io.TextIOWrapper(
            io.BufferedWriter(_HashingWriter(raw, digest)),
            encoding=CSV_ENCODING,
            newline="",
        ) as text,
    ):
        writer = csv.writer(text)
        writer.writerow(content.export.header)
        for row in content.export_rows(partition).iterator(chunk_size=CHUNK_SIZE):
            writer.writerow([_cell(value) for value in row])
            count += 1
    digests[name] = digest.hexdigest()
    return count


class _HashingWriter(io.RawIOBase):
    """A zip entry being written that also hashes what goes into it, so each file's
    SHA-256 costs no second read (hashlib has no such wrapper of its own)."""

    def __init__(self, raw: IO[bytes], digest) -> None:
        self._raw = raw
        self._digest = digest

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._digest.update(data)
        return self._raw.write(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def _write_files(
    archive: zipfile.ZipFile,
    files: registry.ExportFiles,
    partition: ClientPartition,
    digests: dict[str, str],
) -> int:
    """Write each file the registering app yields into `folder/`, one at a time:
    only the file being written is in memory."""
    count = 0
    for name, content in files.files(partition):
        path = f"{files.folder}/{name}"
        with archive.open(_entry(path), "w", force_zip64=True) as out:
            out.write(content)
        digests[path] = hashlib.sha256(content).hexdigest()
        count += 1
    return count


def _entry(filename: str) -> zipfile.ZipInfo:
    """A compressed zip entry dated now (zipfile would date it 1980)."""
    info = zipfile.ZipInfo(filename, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _cell(value) -> str:
    """A value as a CSV cell a spreadsheet shows and never evaluates: a contact
    named "=HYPERLINK(...)" stays text (ccadmin.csvsafe; the import undoes it)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_iso(value)  # the active zone: the tenant's, with its offset
    if isinstance(value, (list, dict)):
        # A JSON field (an email's attachments): as JSON, which any tool reads back.
        value = json.dumps(value, ensure_ascii=False)
    return escape_cell(str(value))


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """Read every table from one snapshot of the database where it can.

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction, so a contact added during a
    long export is in no file rather than in emails.csv but not contacts.csv. Inside a
    caller's transaction (tests) that transaction's view is used as it is. SQLite: no
    transaction, because this project's SQLite transactions are IMMEDIATE and would
    block every writer for the whole export.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
