"""Where the export of a client being offboarded is kept until its purge.

On disk under CLIENT_PARTITION_EXPORT_DIR (settings.py says why not the database),
one folder per tenant, one zip per offboarding, named by the client's id and the
export's SHA-256: a second offboarding of the same client never overwrites the
first's file while that one may still be read.
"""

import contextlib
from pathlib import Path

from django.conf import settings
from django.db import transaction

from partitions.models import ClientPartition


def export_folder(tenant_id: int) -> Path:
    """The folder holding a tenant's offboarding exports (created on demand)."""
    folder = Path(settings.CLIENT_PARTITION_EXPORT_DIR) / str(tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_export(partition: ClientPartition) -> Path | None:
    """The kept export of an offboarding client, or None (not offboarding, or the
    file is missing: someone removed it by hand)."""
    if not partition.offboarding_export_name:
        return None
    path = export_folder(partition.tenant_id) / partition.offboarding_export_name
    return path if path.is_file() else None


def discard_export_on_commit(tenant_id: int, name: str) -> None:
    """Delete a kept export once the surrounding transaction commits (purge, cancel):
    a rollback leaves it, together with the client it belongs to."""
    if not name:
        return
    path = Path(settings.CLIENT_PARTITION_EXPORT_DIR) / str(tenant_id) / name

    def discard() -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    transaction.on_commit(discard)
