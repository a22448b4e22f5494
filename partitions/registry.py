"""What a client partition holds, as the apps that own the records say it.

partitions sits below services and contacts and imports neither: each of them
registers, from its AppConfig.ready(), the kinds of records a BPO client holds of its
own (contacts, companies, emails, activity history; services). The deletion summary,
the admin list's counts, the export and the change form's Associations tab read them
from here.

Two kinds of holding, by what deleting the client does to the records:
- records the client owns are deleted with it (the database cascades) and counted;
- records merely assigned to it (services) are unassigned, kept, and listed by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Model, QuerySet

from partitions.models import ClientPartition


@dataclass(frozen=True)
class ExportTable:
    """One CSV file of a client's export: its name and the fields each row holds
    (`values_list` names, so a column may follow a relation: `company__name`)."""

    filename: str
    fields: tuple[str, ...]

    @property
    def header(self) -> tuple[str, ...]:
        """The column names: each field in words, a relation by its name
        (`first_name` -> "first name", `company__name` -> "company"). They are the
        names `import_contacts` reads, so a client's contacts.csv imports as it is."""
        return tuple(f.removesuffix("__name").replace("_", " ") for f in self.fields)


@dataclass(frozen=True)
class PartitionContent:
    """One kind of record a client partition holds, registered by its owning app.

    `key` is the plural the rest of the code names it by: the DeletionSummary field,
    the export manifest's count and file key, and, with `list_column`, the admin
    list's `<key>_count` annotation.
    """

    key: str
    model: type[Model]
    partition_field: str
    deleted_with_partition: bool
    export: ExportTable
    list_column: bool = False

    def of(self, partition: ClientPartition | int) -> QuerySet:
        """The partition's records of this kind."""
        return self.model._default_manager.filter(**{self.partition_field: partition})

    def export_rows(self, partition: ClientPartition) -> QuerySet:
        """The partition's records as export rows (tuples), in a stable order."""
        return self.of(partition).order_by("pk").values_list(*self.export.fields)


@dataclass(frozen=True)
class ExportFiles:
    """Files of a client's export beyond its CSV tables, registered by the app that
    holds them: e.g. contacts' original messages, `emails/<email id>.eml`.

    `files(partition)` yields (file name, content) pairs, reading the records in
    chunks (a server-side cursor) so that the export's memory stays flat; the
    export writes each straight into the zip under `folder`, and the manifest lists
    the folder and how many files it holds under `key`. `model` and
    `partition_field` say which records the files are of, so that the admin's export
    page counts them before the export (one COUNT, never reading them).
    """

    key: str
    folder: str
    files: Callable[[ClientPartition], Iterator[tuple[str, bytes]]]
    model: type[Model]
    partition_field: str

    def of(self, partition: ClientPartition | int) -> QuerySet:
        """The partition's records that become files of this folder."""
        return self.model._default_manager.filter(**{self.partition_field: partition})


_CONTENTS: dict[str, PartitionContent] = {}
_FILES: dict[str, ExportFiles] = {}


def register(content: PartitionContent) -> None:
    """Say that a client partition holds records of this kind (from an app's
    AppConfig.ready()). Registering a key again replaces it, in place."""
    _CONTENTS[content.key] = content


def register_files(files: ExportFiles) -> None:
    """Add a folder of files to every client's export (from an app's
    AppConfig.ready()). Registering a key again replaces it, in place."""
    _FILES[files.key] = files


def export_files() -> list[ExportFiles]:
    """Every registered folder of files of the export, in registration order."""
    return list(_FILES.values())


def contents() -> list[PartitionContent]:
    """Every registered kind: what the client owns first, then what is assigned to it,
    each in registration order (the order of the export's files)."""
    registered = list(_CONTENTS.values())
    return [c for c in registered if c.deleted_with_partition] + [
        c for c in registered if not c.deleted_with_partition
    ]


def owned() -> list[PartitionContent]:
    """The kinds deleted with the client partition (counted before a delete)."""
    return [c for c in contents() if c.deleted_with_partition]


def assigned() -> list[PartitionContent]:
    """The kinds only assigned to the client partition (unassigned by a delete)."""
    return [c for c in contents() if not c.deleted_with_partition]


def list_columns() -> list[PartitionContent]:
    """The kinds counted per client partition in the admin list and the
    `partitions list` command."""
    return [c for c in contents() if c.list_column]


def content(key: str) -> PartitionContent | None:
    """The registered kind named `key`, or None if no installed app holds it."""
    return _CONTENTS.get(key)


@dataclass(frozen=True)
class ExpiringRecords:
    """Records of a client that its retention deletes once they are older than the
    client's `retention_days`, registered by the app that owns (and deletes) them:
    contacts registers its emails and activity history. partitions decides which
    clients and when (partitions.retention); the owner counts and deletes.

    `kinds` are the plural keys the counts are reported under ("activities",
    "emails"). `count(partition, cutoff)` says how many of each would go;
    `delete(partition, cutoff, progress)` deletes them in bounded batches, each its
    own transaction, calls `progress(rows)` after each and returns the counts.
    """

    key: str
    kinds: tuple[str, ...]
    count: Callable[[ClientPartition, datetime], dict[str, int]]
    delete: Callable[
        [ClientPartition, datetime, Callable[[int], None] | None], dict[str, int]
    ]


_EXPIRING: dict[str, ExpiringRecords] = {}


def register_expiring(records: ExpiringRecords) -> None:
    """Say that retention deletes these records (from an app's AppConfig.ready()).
    Registering a key again replaces it, in place."""
    _EXPIRING[records.key] = records


def expiring() -> list[ExpiringRecords]:
    """Every registered kind of expiring records, in registration order."""
    return list(_EXPIRING.values())
