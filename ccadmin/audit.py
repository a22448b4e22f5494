"""Audit entries (Django admin's LogEntry) written by every path that changes data.

The admin, the management commands and the agent views all record through these
helpers, so the admin's History shows what happened whatever the path.
"""

import json
from collections.abc import Iterable

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import models


def log_addition(actor, obj: models.Model) -> LogEntry:
    """Record that `actor` added `obj`."""
    return LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=ADDITION,
        change_message=[{"added": {}}],
        single_object=True,
    )


def log_change(actor, objs: Iterable[models.Model], fields: list[str]) -> None:
    """Record that `actor` changed the named fields (verbose names) of each object."""
    objs = list(objs)
    if objs:
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=objs,
            action_flag=CHANGE,
            change_message=[{"changed": {"fields": fields}}] if fields else "",
        )


def log_deletion(actor, obj: models.Model, message: str) -> LogEntry:
    """Record, before it happens, that `actor` deletes `obj`, with what goes with it."""
    return LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=DELETION,
        change_message=message,
        single_object=True,
    )


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
    return LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )
