"""The steps every app's actions take to write one of its models: check, save and
audit in one transaction.

Each app's `actions.py` is the one writer of its models and calls these; they hold no
rule of any model (those are the models' own: `clean()`, `normalize()`), only the rule
of who writes: a member who works for chosen clients writes only those clients' rows
(ccadmin.tenancy.client_scope), whatever the path.
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from ccadmin import audit
from ccadmin.scoping import (
    CLIENT_ITSELF,
    client_field_of,
    client_id_of,
    works_for_client_of,
)
from ccadmin.tenancy import chosen_clients

# Checks a feature app adds to every write of a client's rows, each given the
# client's id (None: a row of no client) and raising ValidationError to refuse it:
# partitions registers that an offboarding client is read-only. Registered from
# the app's AppConfig.ready(), so this module names no app above it.
CLIENT_WRITE_CHECKS: list[Callable[[int | None], None]] = []


def register_client_write_check(check: Callable[[int | None], None]) -> None:
    """Run `check(client_id)` before every add, change and delete of a row that
    belongs to a client (and of a client partition itself)."""
    if check not in CLIENT_WRITE_CHECKS:
        CLIENT_WRITE_CHECKS.append(check)


def check_client_writable(*rows: models.Model) -> None:
    """Refuse (ValidationError) a write of rows whose client is not writable now
    (CLIENT_WRITE_CHECKS): each of `rows` is a version of the row (as stored, as it
    will be), so moving a row out of, or into, such a client is refused too."""
    for client_id in {client_id_of(row) for row in rows}:
        for check in CLIENT_WRITE_CHECKS:
            check(client_id)


def check_actor_clients(actor, *rows: models.Model) -> None:
    """Refuse (ValidationError, on the row's client field) a write by a member who
    works for chosen clients of a row that is not of one of their clients, or of
    no client: each of `rows` is a version of the row (as stored, as it will be).
    Anyone else (a member of every client, a superuser, the system account) passes.
    """
    if chosen_clients(actor) is None:
        return
    for row in rows:
        if not works_for_client_of(actor, row):
            field = client_field_of(type(row))
            key = (
                field
                if isinstance(field, str)
                and field != CLIENT_ITSELF
                and "__" not in field
                else NON_FIELD_ERRORS
            )
            raise ValidationError(
                {key: _("Choose one of the clients you work for.")},
                code="other_client",
            )


def add[Row: models.Model](row: Row, *, actor) -> Row:
    """Check a new row with its model's rules (which normalise it) and against the
    clients `actor` works for, save it and audit its addition as `actor`, in one
    transaction. Raises ValidationError."""
    with transaction.atomic():
        row.full_clean()
        check_actor_clients(actor, row)
        check_client_writable(row)
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
        check_actor_clients(actor, stored, row)
        check_client_writable(stored, row)
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
        check_actor_clients(actor, *doomed)
        check_client_writable(*doomed)
        audit.log_deletions(actor, doomed)
        model._default_manager.filter(pk__in=[row.pk for row in doomed]).delete()
    return len(doomed)
