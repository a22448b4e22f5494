"""Audit entries (Django admin's LogEntry) written by every path that changes data.

The one place entries are written: the admin (partitions.admin and every
TenantScopedAdmin), the management commands and the agent views all record through
these helpers, so the admin's History and Audit trail show what happened whatever the
path. Each entry of a tenant's object also records the tenant (ccadmin.AuditScope),
so the entries of a deleted client partition stay readable by that tenant's
administrators, and by nobody else's.
"""

import json
from collections.abc import Iterable

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import models

from ccadmin.models import AuditScope, Tenant


def record(
    actor, objs: Iterable[models.Model], action_flag: int, message: str | list = ""
) -> list[LogEntry]:
    """Write one entry per object, by `actor`, with its tenant; return the entries.

    `message` is the admin's change message: text, or the admin's JSON list.
    """
    objs = list(objs)
    if not objs:
        return []
    entries = LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=objs,
        action_flag=action_flag,
        change_message=message,
    )
    AuditScope.objects.bulk_create(
        [
            AuditScope(entry_id=entry.pk, tenant_id=tenant_id)
            for entry, obj in zip(entries, objs, strict=True)
            if (tenant_id := tenant_id_of(obj)) is not None
        ]
    )
    return entries


def tenant_id_of(obj: models.Model) -> int | None:
    """The tenant an audited object belongs to (a tenant is its own), or None."""
    if isinstance(obj, Tenant):
        return obj.pk
    return getattr(obj, "tenant_id", None)


def log_addition(actor, obj: models.Model) -> LogEntry:
    """Record that `actor` added `obj`."""
    return record(actor, [obj], ADDITION, [{"added": {}}])[0]


def log_change(actor, objs: Iterable[models.Model], fields: list[str]) -> None:
    """Record that `actor` changed the named fields (verbose names) of each object."""
    record(actor, objs, CHANGE, [{"changed": {"fields": fields}}] if fields else "")


def log_deletion(actor, obj: models.Model, message: str) -> LogEntry:
    """Record, before it happens, that `actor` deletes `obj`, with what goes with it."""
    return record(actor, [obj], DELETION, message)[0]


def change_message_fields(entry: LogEntry) -> list[str]:
    """The field names a CHANGE entry records (for tests and reports)."""
    try:
        data = json.loads(entry.change_message)
    except ValueError:
        return []
    return [f for item in data for f in item.get("changed", {}).get("fields", [])]


def log_event(actor, obj: models.Model, message: str) -> LogEntry:
    """Record something done with `obj` that changes none of its fields (an export
    of a client's data, an import of contacts into it), in the words given."""
    return record(actor, [obj], CHANGE, message)[0]
