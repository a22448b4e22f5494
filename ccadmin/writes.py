"""The steps every app's actions take to write one of its models: check, save and
audit in one transaction.

Each app's `actions.py` is the one writer of its models and calls these; they hold no
rule of any model (those are the models' own: `clean()`, `normalize()`).
"""

from collections.abc import Iterable

from django.db import models, transaction

from ccadmin import audit


def add[Row: models.Model](row: Row, *, actor) -> Row:
    """Check a new row with its model's rules (which normalise it), save it and
    audit its addition as `actor`, in one transaction. Raises ValidationError."""
    with transaction.atomic():
        row.full_clean()
        row.save()
        audit.log_addition(actor, row)
    return row


def change[Row: models.Model](row: Row, *, actor) -> Row:
    """Check and save a changed row and audit the change with the values before and
    after, in one transaction. The stored row is locked and read first: it is the
    "before" (NetBox's prechange snapshot). Raises ValidationError."""
    with transaction.atomic():
        stored = type(row)._default_manager.select_for_update().get(pk=row.pk)
        before = audit.snapshot(stored)
        row.full_clean()
        row.save()
        audit.log_change(actor, [row], before=before)
    return row


def delete[Row: models.Model](model: type[Row], rows: Iterable[Row], *, actor) -> int:
    """Audit, then delete, the given rows in one transaction; return how many.

    The database deletes what goes with them (DB_CASCADE), so nothing more is
    loaded; the rows given are the admin's selection, a page at most.
    """
    with transaction.atomic():
        doomed = list(rows)
        if not doomed:
            return 0
        audit.log_deletions(actor, doomed)
        model._default_manager.filter(pk__in=[row.pk for row in doomed]).delete()
    return len(doomed)
