"""Audit entries (Django admin's LogEntry), written by the actions and only by them.

Every add, change and delete of a contact center's objects goes through its app's
`actions.py`, and each action records its write here, once: the admin writes no entry
of its own (ccadmin.admin_base.TenantScopedAdmin turns its logging off), so there is
one mechanism and no duplicate or missing entry whatever the path (admin, command,
agent desktop, importer, routing).

A change entry carries the values before and after the change, as NetBox's
ObjectChange does (a prechange and a postchange snapshot). They ride in the admin's
own JSON change message, `[{"changed": {"fields": [...], "before": {...},
"after": {...}}}]`, so the stock History page still reads "Changed Email and Phone."
and the Audit trail shows the values too.

Each entry of a tenant's object also records the tenant and the client the object
belongs to (ccadmin.AuditScope), so the entries of a deleted client partition stay
readable by that tenant's administrators, and by nobody else's, and a member who
works for chosen clients reads only those clients' entries.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst

# The actions an entry records, EXPORT among them: defined in ccadmin.audit_flags
# (which ccadmin.models reads too), offered here with the writers.
from ccadmin.audit_flags import ACTION_LABELS as ACTION_LABELS
from ccadmin.audit_flags import EXPORT as EXPORT
from ccadmin.audit_flags import action_label as action_label
from ccadmin.cli import system_user
from ccadmin.models import AuditScope, Tenant
from ccadmin.scoping import client_id_of
from ccadmin.times import displayable
from ccadmin.zones import label as zone_label

Snapshot = dict[str, Any]


def _actor_id(actor) -> int:
    """The user an entry is recorded under: `actor`, or, for writes no person made
    (routing an incoming call, say), the system account of ccadmin.cli."""
    if actor is None:
        actor = system_user()
    return actor.pk


def _encode(message: str | list) -> str:
    if isinstance(message, list):
        return json.dumps(message, cls=DjangoJSONEncoder, ensure_ascii=False)
    return message


def _write(actor, rows: Sequence[tuple[models.Model, str | list]], flag: int):
    """One LogEntry per (object, message), with its tenant's AuditScope."""
    if not rows:
        return []
    user_id = _actor_id(actor)
    entries = [
        LogEntry(
            user_id=user_id,
            content_type_id=ContentType.objects.get_for_model(
                obj, for_concrete_model=False
            ).id,
            object_id=obj.pk,
            object_repr=str(obj)[:200],
            action_flag=flag,
            change_message=_encode(message),
        )
        for obj, message in rows
    ]
    if len(entries) == 1:
        entries[0].save()  # a single save needs no bulk primary-key support
    else:
        entries = LogEntry.objects.bulk_create(entries)
    AuditScope.objects.bulk_create(
        [
            AuditScope(
                entry_id=entry.pk,
                tenant_id=tenant_id,
                client_partition_id=client_id_of(obj),
            )
            for entry, (obj, _message) in zip(entries, rows, strict=True)
            if (tenant_id := tenant_id_of(obj)) is not None
        ]
    )
    return entries


def record(
    actor, objs: Iterable[models.Model], action_flag: int, message: str | list = ""
) -> list[LogEntry]:
    """Write one entry per object, by `actor`, with its tenant; return the entries.

    `message` is the admin's change message: text, or the admin's JSON list.
    """
    return _write(actor, [(obj, message) for obj in objs], action_flag)


def record_each(
    actor, rows: Sequence[tuple[models.Model, str | list]], action_flag: int
) -> list[LogEntry]:
    """Write one entry per (object, message), by `actor`, each with its tenant, in
    one insert: a set-based write (200 people imported) audits every row at once."""
    return _write(actor, list(rows), action_flag)


def tenant_id_of(obj: models.Model) -> int | None:
    """The tenant an audited object belongs to (a tenant is its own), or None."""
    if isinstance(obj, Tenant):
        return obj.pk
    return getattr(obj, "tenant_id", None)


def snapshot(obj: models.Model) -> Snapshot:
    """The object's editable field values, as JSON values, keyed by field name.

    Taken before a change (the prechange snapshot) and compared with the object after
    it. Fields nobody edits (keys, hashes, timestamps) are left out: they are not
    what an administrator changes, and a key hash is nobody's business.
    """
    encoder = DjangoJSONEncoder()
    values: Snapshot = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or not field.editable:
            continue
        value = field.value_from_object(obj)
        if not isinstance(value, str | int | float | bool | type(None)):
            value = json.loads(encoder.encode(value))
        values[field.name] = value
    return values


def changed_values(obj: models.Model, before: Snapshot) -> tuple[Snapshot, Snapshot]:
    """(before, after) values of the fields of `obj` that differ from `before`."""
    after = snapshot(obj)
    names = [name for name, value in after.items() if before.get(name) != value]
    return (
        {name: before.get(name) for name in names},
        {name: after[name] for name in names},
    )


def field_labels(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """The fields' verbose names as the admin's change message holds them: in
    English, translated when the message is read (LogEntry.get_change_message)."""
    with translation.override(None):
        return [
            capfirst(str(model._meta.get_field(name).verbose_name)) for name in names
        ]


def change_message(obj: models.Model, before: Snapshot) -> list:
    """The admin's JSON change message for `obj`, with before and after values."""
    old, new = changed_values(obj, before)
    if not new:
        return []  # read by the admin as "No fields changed."
    return [
        {
            "changed": {
                "fields": field_labels(type(obj), new),
                "before": old,
                "after": new,
            }
        }
    ]


def log_addition(actor, obj: models.Model) -> LogEntry:
    """Record that `actor` (None: the system account) added `obj`."""
    return _write(actor, [(obj, [{"added": {}}])], ADDITION)[0]


def log_change(
    actor,
    objs: Iterable[models.Model],
    fields: list[str] | None = None,
    *,
    before: Snapshot | Sequence[Snapshot] | None = None,
) -> list[LogEntry]:
    """Record that `actor` changed each object.

    With `before` (the snapshot taken before the change, or one per object), each
    entry names the fields that differ and holds their values before and after.
    Without it, `fields` names the changed fields (verbose names), values unknown.
    """
    objs = list(objs)
    if before is None:
        message = [{"changed": {"fields": fields}}] if fields else ""
        return _write(actor, [(obj, message) for obj in objs], CHANGE)
    befores = [before] * len(objs) if isinstance(before, Mapping) else list(before)
    return _write(
        actor,
        [
            (obj, change_message(obj, old))
            for obj, old in zip(objs, befores, strict=True)
        ],
        CHANGE,
    )


def log_deletion(actor, obj: models.Model, message: str = "") -> LogEntry:
    """Record, before it happens, that `actor` deletes `obj`, with what goes with it."""
    return _write(actor, [(obj, message)], DELETION)[0]


def log_deletions(actor, objs: Iterable[models.Model]) -> list[LogEntry]:
    """Record, before they happen, that `actor` deletes each of `objs`."""
    return _write(actor, [(obj, "") for obj in objs], DELETION)


def _changes(entry: LogEntry) -> list[dict]:
    try:
        data = json.loads(entry.change_message)
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [
        item["changed"]
        for item in data
        if isinstance(item, dict) and isinstance(item.get("changed"), dict)
    ]


def change_message_fields(entry: LogEntry) -> list[str]:
    """The field names a CHANGE entry records (for tests and reports)."""
    return [f for item in _changes(entry) for f in item.get("fields", [])]


def change_values(entry: LogEntry) -> dict[str, tuple[Any, Any]]:
    """The (before, after) values a CHANGE entry records, by field name."""
    values: dict[str, tuple[Any, Any]] = {}
    for item in _changes(entry):
        old, new = item.get("before", {}), item.get("after", {})
        for name in new:
            values[name] = (old.get(name), new[name])
    return values


def describe(entry: LogEntry) -> str:
    """What an entry says, with before and after values of a change:
    'Changed Email. Email: "a@example.com" → "b@example.com"'."""
    text = str(entry.get_change_message())
    shown = value_lines(entry)
    if not shown:
        return text
    return f"{text} {'; '.join(shown)}"


def lines(entry: LogEntry) -> list[str]:
    """What an entry says, line by line, for its page: the summary ("Changed Email
    and Phone."), then one line per changed field with its values before and after
    ('Email: "a@example.com" → "b@example.com"')."""
    summary = str(entry.get_change_message()) or action_label(entry.action_flag)
    return [summary, *value_lines(entry)]


def value_lines(entry: LogEntry) -> list[str]:
    """One line per field a change entry records, for the reader: the field's
    verbose name in their language (the raw name if the field is gone), and its
    values before and after; a date-time in the reader's zone, labelled, not the
    UTC it is stored in ("Revoked at: null → Dec. 1, 2026, 9:45 a.m. Asia/Tokyo
    (JST)")."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    shown = []
    for name, (old, new) in change_values(entry).items():
        field = _field(model, name)
        label = capfirst(str(field.verbose_name)) if field is not None else name
        if isinstance(field, models.DateTimeField):
            old, new = _local_time(old), _local_time(new)
        else:
            old, new = (json.dumps(v, ensure_ascii=False) for v in (old, new))
        shown.append(f"{label}: {old} → {new}")
    return shown


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _local_time(value: Any) -> str:
    """A stored date-time (ISO 8601, UTC) in the active zone with its label; any
    other value (null, a value no longer a time) as JSON."""
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return json.dumps(value, ensure_ascii=False)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    moment = displayable(moment)
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATETIME_FORMAT')} {zone_label(moment)}"


def log_event(actor, obj: models.Model, message: str) -> LogEntry:
    """Record something done with `obj` that changes none of its fields (an import
    of contacts into it, an offboarding cancelled), in the words given."""
    return _write(actor, [(obj, message)], CHANGE)[0]


def log_export(actor, obj: models.Model, message: str) -> LogEntry:
    """Record that `actor` took a copy of data out of the system (a client's
    export, a data subject's export, an offboarding export downloaded again), as
    an EXPORT entry, in the words given. Every export writes its entry here."""
    return _write(actor, [(obj, message)], EXPORT)[0]


# Documents an entry points to (a deletion certificate), found by functions a feature
# app registers from its AppConfig.ready(), so this module names no app above it.
# Each takes an entry and returns (url, label) or None.
ENTRY_LINKS: list = []


def register_entry_link(find) -> None:
    """Show `find(entry)`'s link, when it gives one, on an audit trail entry's page."""
    if find not in ENTRY_LINKS:
        ENTRY_LINKS.append(find)


def entry_links(entry: LogEntry) -> list[tuple[str, str]]:
    """The (url, label) of each document linked to `entry` (ENTRY_LINKS)."""
    return [link for find in ENTRY_LINKS if (link := find(entry)) is not None]


# What an erased person's name, address or number reads as in the audit trail.
ERASED = "[erased]"


def scrub(
    tenant_id: int,
    objects: Iterable[tuple[type[models.Model], Iterable[int]]],
    words: Iterable[str],
) -> int:
    """Remove a person from a tenant's audit trail (an erasure at their request):
    entries about `objects` (model, ids) lose their object name and the values
    their changes recorded (the field names stay), and every entry of the tenant
    whose object name or message holds one of `words` (their name, address, number;
    case-insensitive) has each occurrence replaced with ERASED. The entries
    themselves stay: that something was done, when and by whom is the contact
    center's record. Returns how many entries changed.
    """
    about = models.Q()
    about_keys: set[tuple[int, str]] = set()
    for model, ids in objects:
        keys = [str(pk) for pk in ids]
        if keys:
            content_type = ContentType.objects.get_for_model(
                model, for_concrete_model=False
            )
            about |= models.Q(content_type_id=content_type.id, object_id__in=keys)
            about_keys.update((content_type.id, key) for key in keys)
    # Short words (initials) would blank unrelated entries; longest first, so a full
    # name goes before a part of it.
    words = sorted({w for w in words if len(w.strip()) >= 3}, key=len, reverse=True)
    # As written inside a JSON change message too (quotes and backslashes escaped).
    variants = sorted(
        {form for w in words for form in (w, json.dumps(w)[1:-1])},
        key=len,
        reverse=True,
    )
    mention = models.Q()
    for word in variants:
        mention |= models.Q(object_repr__icontains=word) | models.Q(
            change_message__icontains=word
        )
    if not about and not mention:
        return 0
    entries = list(
        LogEntry.objects.filter(audit_scope__tenant_id=tenant_id).filter(
            about | mention
        )
    )
    pattern = (
        re.compile("|".join(re.escape(w) for w in variants), re.IGNORECASE)
        if variants
        else None
    )
    for entry in entries:
        if (entry.content_type_id, entry.object_id) in about_keys:
            entry.object_repr = ERASED
            entry.change_message = _without_values(entry.change_message)
        if pattern is not None:
            entry.object_repr = pattern.sub(ERASED, entry.object_repr)
            entry.change_message = pattern.sub(ERASED, entry.change_message)
    LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"])
    return len(entries)


def _without_values(message: str) -> str:
    """A change message without the values it recorded: the admin's JSON list keeps
    its field names (History still reads "Changed Email."), text becomes ERASED."""
    try:
        data = json.loads(message)
    except ValueError:
        return ERASED if message else message
    if not isinstance(data, list):
        return ERASED
    kept = []
    for item in data:
        if isinstance(item, dict) and isinstance(item.get("changed"), dict):
            kept.append({"changed": {"fields": item["changed"].get("fields", [])}})
        elif isinstance(item, dict) and set(item) <= {"added", "deleted"}:
            kept.append({key: {} for key in item})
        else:
            kept.append(ERASED)
    return _encode(kept)
