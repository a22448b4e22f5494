"""Operations on contacts, companies, emails and activity history: the one writer of
these models.

The admin, the agent desktop, the importer, routing and the commands all write through
these functions, so every row is checked by the model's rules (which normalise it:
contacts.models) and every write of a person or a command is audited once, here
(ccadmin.audit), with before and after values for a change. Each function runs in one
transaction.

A contact's client partition must belong to the contact's tenant; an agent may put a
contact only into an enabled one, and only into one they work for
(ccadmin.tenancy.client_scope): those rules are checked here, under a lock on the
partition row, not in the views.
"""

import secrets
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, DELETION
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ccadmin import audit, writes
from ccadmin.bulk import insert_all
from ccadmin.cli import system_user
from ccadmin.counts import count_of
from ccadmin.locks import lock_senders, sender_lock_key
from ccadmin.models import Tenant
from ccadmin.tenancy import chosen_clients
from contacts.data_subject import (
    DataSubjectRefused,
    Subject,
    check_request,
    offboarding_refusal,
    records_of,
)
from contacts.models import (
    Activity,
    Company,
    Contact,
    Email,
    EmailSource,
    ErasureCertificate,
    is_cjk,
)
from contacts.phones import written_forms
from partitions.locks import share_client_partitions
from partitions.models import ClientPartition


def available_partition(
    tenant: Tenant, partition_id: int | None, *, user=None
) -> ClientPartition:
    """Share-lock and return the tenant's enabled partition `partition_id`
    (ccadmin/locks.py: assigning to a client shares its row).

    Raises ValidationError (on the "partition" field) if it is another tenant's,
    disabled or deleted, or not one of the clients `user` works for (the same
    words: a client they do not work for is as if it did not exist). Call inside a
    transaction.
    """
    clients = chosen_clients(user)
    if clients is not None and partition_id not in clients:
        partition_id = None  # refused below, without locking another client's row
    partition = (
        share_client_partitions([partition_id]).get(partition_id)
        if partition_id
        else None
    )
    if partition is None or partition.tenant_id != tenant.pk or not partition.enabled:
        raise ValidationError(
            {
                "partition": _(
                    "This BPO client is not available: it is disabled, deleted or "
                    "not one of your contact center's clients."
                )
            },
            code="unavailable_partition",
        )
    return partition


# ----- the one writer, for each of the four models ---------------------------------


def add_contact(contact: Contact, *, actor) -> Contact:
    """Add a contact built by the caller (the admin's form, routing), checked by the
    model's rules; audit it as `actor` (None: the system account).

    Raises ValidationError, keyed by field; nothing is written then.
    """
    return writes.add(contact, actor=actor)


def change_contact(contact: Contact, *, actor) -> Contact:
    """Save a changed contact; audit the changed fields with their old and new
    values. Raises ValidationError, keyed by field; nothing is written then."""
    return writes.change(contact, actor=actor)


def delete_contacts(contacts: Iterable[Contact], *, actor) -> int:
    """Delete contacts, with their emails and activity history; audit each.
    Returns how many contacts went."""
    return writes.delete(Contact, contacts, actor=actor)


def add_company(company: Company, *, actor) -> Company:
    """Add a company of a client's contacts; audit it. Raises ValidationError."""
    return writes.add(company, actor=actor)


def change_company(company: Company, *, actor) -> Company:
    """Save a changed company; audit its old and new values. Raises
    ValidationError."""
    return writes.change(company, actor=actor)


def delete_companies(companies: Iterable[Company], *, actor) -> int:
    """Delete companies (their contacts stay, with no company); audit each.
    Returns how many went."""
    return writes.delete(Company, companies, actor=actor)


def add_email(email: Email, *, actor) -> Email:
    """Add an email by hand (the admin); audit it. Raises ValidationError."""
    return writes.add(email, actor=actor)


def change_email(email: Email, *, actor) -> Email:
    """Save a changed email; audit its old and new values. Raises ValidationError."""
    return writes.change(email, actor=actor)


def delete_emails(emails: Iterable[Email], *, actor) -> int:
    """Delete emails with their activity entries; audit each. Returns how many."""
    return writes.delete(Email, emails, actor=actor)


def add_activity(activity: Activity, *, actor) -> Activity:
    """Add an entry of activity history by hand (the admin); audit it. Raises
    ValidationError."""
    return writes.add(activity, actor=actor)


def change_activity(activity: Activity, *, actor) -> Activity:
    """Save a changed activity entry; audit its old and new values. Raises
    ValidationError."""
    return writes.change(activity, actor=actor)


def delete_activities(activities: Iterable[Activity], *, actor) -> int:
    """Delete activity entries; audit each. Returns how many went."""
    return writes.delete(Activity, activities, actor=actor)


# ----- the agent desktop ------------------------------------------------------------


def create_contact(
    tenant: Tenant,
    *,
    actor,
    partition_id: int | None,
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    email: str = "",
    phone: str = "",
) -> Contact:
    """Add a contact for a BPO client (`partition_id`) or for none (None), as an
    agent does from the desktop; audit it as `actor`.

    A member who works for chosen clients adds contacts to those clients only, never
    to no client. Raises ValidationError, keyed by field, for a bad value or an
    unavailable client; nothing is written then.
    """
    with transaction.atomic():
        if partition_id or chosen_clients(actor) is not None:
            partition = available_partition(tenant, partition_id, user=actor)
        else:
            partition = None
        contact = Contact(
            tenant=tenant,
            partition=partition,
            first_name=first_name,
            last_name=last_name,
            title=title,
            email=email,
            phone=phone,
        )
        return add_contact(contact, actor=actor)


# ----- routing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """Who an interaction comes from, as routing matches contacts: an email address
    or a phone (in stored form), or nobody known (`placeholder`: a withheld number,
    an unknown sender), inside one client partition (None: no client)."""

    partition_id: int | None
    email: str = ""
    phone: str = ""
    placeholder: str = ""

    def lock_key(self, tenant: Tenant) -> int:
        """This sender's advisory lock key (ccadmin.locks.lock_senders)."""
        return sender_lock_key(
            "contact-sender",
            tenant.pk,
            self.partition_id,
            self.email,
            self.phone,
            self.placeholder,
        )


def sender_of(
    tenant: Tenant,
    partition: ClientPartition | None,
    *,
    email: str = "",
    phone: str = "",
    placeholder: str = "",
) -> Sender:
    """The Sender of an interaction, its address or phone in the form contacts are
    stored in (Contact.normalize, with the tenant's phone region), whoever stored
    them: an imported "090-1111-2222" is found by a call from "+81 90 1111 2222".
    With a `placeholder` (Contact.Placeholder), the client's contact standing for a
    withheld number or an unknown sender."""
    partition_id = partition.pk if partition else None
    if placeholder:
        return Sender(partition_id=partition_id, placeholder=placeholder)
    probe = Contact(tenant=tenant, email=email, phone=phone)
    probe.normalize()
    return Sender(
        partition_id=partition_id,
        email=probe.email,
        phone="" if probe.email else probe.phone,
    )


def contacts_for_senders(
    tenant: Tenant,
    senders: dict[Sender, tuple[ClientPartition | None, str]],
    *,
    actor=None,
) -> dict[Sender, tuple[Contact, bool] | ValidationError]:
    """Find the contact of each sender (inside its client partition, or among the
    tenant's contacts of no client) by exact stored address or phone, and create the
    missing ones there, audited as `actor` (None: the system account).

    `senders` maps each sender to (its partition, the display name a new contact is
    named from). Returns, per sender, (contact, created), or the ValidationError
    that kept its contact from being created. Set-based: one query finds the
    contacts of every sender through the (tenant, partition, email|phone) indexes;
    new senders cost a few queries whatever their number: their advisory locks (one
    query, PostgreSQL), a second look, one INSERT and their audit entries, so two
    deliveries from one new sender, in two transactions, make one contact. Call
    inside routing's transaction, holding the partitions' share locks.
    """
    found: dict[Sender, tuple[Contact, bool] | ValidationError] = {
        sender: (contact, False)
        for sender, contact in _stored_contacts(tenant, list(senders)).items()
    }
    missing = [sender for sender in senders if sender not in found]
    if missing and connection.vendor == "postgresql":
        lock_senders(sender.lock_key(tenant) for sender in missing)
        # Another transaction may have created it while this one waited.
        for sender, contact in _stored_contacts(tenant, missing).items():
            found[sender] = (contact, False)
        missing = [sender for sender in missing if sender not in found]
    new: dict[Sender, Contact] = {}
    for sender in missing:
        partition, display_name = senders[sender]
        first_name, last_name = split_display_name(display_name)
        if sender.placeholder:
            # Named in English in the database, like the system account; shown in
            # the reader's language (Contact.__str__).
            with translation.override("en"):
                first_name, last_name = (
                    "",
                    str(Contact.Placeholder(sender.placeholder).label),
                )
        contact = Contact(
            tenant=tenant,
            partition=partition,
            first_name=first_name[:100],
            last_name=last_name[:100],
            email=sender.email,
            phone=sender.phone,
            placeholder=sender.placeholder,
        )
        try:
            # The model's rules, as add_contact checks them, less the two queries a
            # contact would cost to check that its tenant and client exist: routing
            # holds them (the client share-locked), and a batch has many contacts.
            contact.full_clean(exclude=["tenant", "partition"])
        except ValidationError as exc:
            found[sender] = exc
        else:
            new[sender] = contact
    if new:
        # add_contact's work for many at once: one INSERT, one set of audit entries.
        Contact.objects.bulk_create(list(new.values()))
        audit.record(actor, new.values(), ADDITION, [{"added": {}}])
        found.update({sender: (contact, True) for sender, contact in new.items()})
    return found


def _stored_contacts(tenant: Tenant, senders: list[Sender]) -> dict[Sender, Contact]:
    """The first stored contact (lowest id) of each sender, in one query: an exact
    match per sender, each served by the (tenant, partition, email|phone|mobile)
    index; a caller's number matches a contact's phone or mobile."""
    if not senders:
        return {}
    match = Q()
    for sender in senders:
        if sender.placeholder:
            match |= Q(partition_id=sender.partition_id, placeholder=sender.placeholder)
        elif sender.email:
            match |= Q(partition_id=sender.partition_id, email=sender.email)
        else:
            # A caller's number is the contact's phone or its mobile (both indexed).
            match |= Q(partition_id=sender.partition_id, phone=sender.phone)
            match |= Q(partition_id=sender.partition_id, mobile=sender.phone)
    wanted = set(senders)
    stored: dict[Sender, Contact] = {}
    # No ORDER BY in SQL (the model's default would sort by name): the lowest id is
    # picked here, so the database only probes the indexes.
    for contact in Contact.objects.filter(match, tenant=tenant).order_by():
        for sender in (
            Sender(contact.partition_id, email=contact.email),
            Sender(contact.partition_id, phone=contact.phone),
            Sender(contact.partition_id, phone=contact.mobile),
            Sender(contact.partition_id, placeholder=contact.placeholder),
        ):
            if sender in wanted and (
                sender not in stored or contact.pk < stored[sender].pk
            ):
                stored[sender] = contact
    return stored


def record_interactions(
    pairs: list[tuple[Email | None, Activity]],
    sources: dict[int, bytes] | None = None,
) -> None:
    """Store incoming interactions routing has assigned, each an Email (for an
    email, else None) and its entry of activity history: every email in one INSERT,
    then every entry in another, in one transaction. The rows are normalised as
    save() would (insert_all skips it) and get their primary keys. `sources` maps
    the index of a pair to its email's raw RFC 822 source, stored compressed
    (EmailSource) in one more INSERT.

    Not audited: these rows are themselves the contact center's record of what came
    in, written at the gateways' pace; the audit trail records what people and
    commands change (a contact routing creates is audited, by contacts_for_senders).
    Raises IntegrityError if one email's Message-ID was recorded meanwhile (nothing
    is written then: routing tells the duplicate and retries the others).
    """
    emails = [email for email, _activity in pairs if email is not None]
    for row in [*emails, *(activity for _email, activity in pairs)]:
        row.normalize()
    # No savepoint of its own: routing's caller holds one around it, to retry.
    with transaction.atomic(savepoint=False):
        Email.objects.bulk_create(emails)
        for email, activity in pairs:
            activity.email = email
        Activity.objects.bulk_create([activity for _email, activity in pairs])
        if sources:
            EmailSource.objects.bulk_create(
                EmailSource.of(pairs[index][0], raw) for index, raw in sources.items()
            )


def split_display_name(name: str) -> tuple[str, str]:
    """Split a sender's display name into (first name, last name).

    Japanese names are written family name first ("山田 太郎"); Western ones given
    name first ("Ben Smith"). A single word becomes the last name.
    """
    parts = name.split()
    if len(parts) < 2:
        return "", name.strip()
    if any(is_cjk(char) for char in name):
        return " ".join(parts[1:]), parts[0]
    return " ".join(parts[:-1]), parts[-1]


# ----- the importer -----------------------------------------------------------------


def save_imported_contacts(
    created: list[Contact], updated: list[Contact], companies: list[Company]
) -> None:
    """Write a batch of an import: its new companies, then its new contacts, then
    the stored contacts its rows updated, in one transaction (COPY on PostgreSQL:
    ccadmin.bulk; one UPDATE per IMPORT_UPDATE_BATCH contacts).

    The importer (contacts.imports) has already checked every row with the models'
    rules, which normalised it. Not audited row by row: an import of a client's list
    can hold millions of rows; `log_contact_import` records the import once.
    """
    # Inside an all-or-nothing import's transaction this joins it: a savepoint per
    # batch would only cost two more queries.
    with transaction.atomic(savepoint=False):
        if companies:
            for company in companies:
                company.normalize()
            Company.objects.bulk_create(companies)
        for contact in [*created, *updated]:
            # Re-assign so a new company's primary key reaches company_id.
            contact.company = contact.company
        insert_all(Contact, created)
        if updated:
            for contact in updated:
                contact.normalize()
            Contact.objects.bulk_update(
                updated, IMPORTED_FIELDS, batch_size=IMPORT_UPDATE_BATCH
            )


# What an import's row sets on a contact, and the contacts one UPDATE statement of
# an import changes (a CASE per field per contact: bounded statements).
IMPORTED_FIELDS = Contact.DETAIL_FIELDS
IMPORT_UPDATE_BATCH = 500


def log_contact_import(actor, target: ClientPartition | Tenant, message: str) -> None:
    """Record an import of contacts into a client partition (or a tenant), once per
    import, with what it did."""
    with transaction.atomic(savepoint=False):
        audit.log_event(actor, target, message)


# Rows per DELETE statement of retention: each batch is its own short transaction, so
# the locks it takes on a large client's history are held briefly and incoming calls
# and emails of the same client keep flowing while a year of history goes.
RETENTION_BATCH_ROWS = 10_000


def delete_expired_history(
    partition: ClientPartition,
    cutoff,
    progress=None,
    *,
    batch_rows: int = RETENTION_BATCH_ROWS,
) -> dict[str, int]:
    """Delete the client's activity history older than `cutoff` (by occurred_at),
    then its emails older than `cutoff` (by sent_at), whose original messages and
    remaining activity entries the database deletes with them (DB_CASCADE); return
    how many of each went ({"activities": n, "emails": n}, the cascaded activity
    entries counted with the activities).

    Called by retention (partitions.retention, through partitions.registry), which
    audits each run. Deleted in windows of `batch_rows` ids, one DELETE statement
    each (two for emails: their remaining activity entries, then them), each
    window its own transaction. Why id windows rather than "DELETE ... LIMIT": a
    window is a range scan of the primary key, so each batch costs the same however
    much was deleted before it (a LIMIT rescans the dead rows of earlier batches),
    and a window never holds more than `batch_rows` rows. `progress(rows)` is called
    after each window with the rows it deleted.

    A legal hold placed while this runs stops it before the next window (each window
    reads the hold under a share lock on the client's row); what went until then is
    returned.
    """
    deleted = {"activities": 0, "emails": 0}
    expired_activities = Activity.objects.filter(
        partition=partition, occurred_at__lt=cutoff
    )
    for window in _id_windows(expired_activities, batch_rows):
        with _retention_batch():
            if _held_or_gone(partition):
                return deleted
            rows = _delete_rows(window)
        deleted["activities"] += rows
        if progress is not None:
            progress(rows)
    expired_emails = Email.objects.filter(partition=partition, sent_at__lt=cutoff)
    for window in _id_windows(expired_emails, batch_rows):
        with _retention_batch():
            if _held_or_gone(partition):
                return deleted
            # The emails' remaining activity entries first, so that they are
            # counted (the database's cascade would delete them unseen; it stays
            # the guarantee). Both statements are set-based, nothing is loaded.
            cascaded = _delete_rows(
                Activity.objects.filter(email__in=window.values("pk"))
            )
            rows = _delete_rows(window)
        deleted["activities"] += cascaded
        deleted["emails"] += rows
        if progress is not None:
            progress(rows + cascaded)
    return deleted


@contextmanager
def _retention_batch():
    """One batch of retention: its own transaction, committed without waiting for
    the disk on PostgreSQL (synchronous_commit off, for this transaction only).

    Why: a large client's retention is a hundred small transactions where a plain
    DELETE is one, and waiting for each commit's WAL flush was most of the
    difference. It is safe here: a crash can lose only the last batches' commits
    (never half of one: PostgreSQL stays consistent), and those rows are simply
    deleted again by the next day's run.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _held_or_gone(partition: ClientPartition) -> bool:
    """Whether the client was put on legal hold, offboarded (read-only until its
    purge) or deleted since retention began: read under a share lock on its row
    (ccadmin/locks.py, 3.), which a hold or an offboarding being placed waits for,
    so no batch deletes once either is committed."""
    current = share_client_partitions([partition.pk]).get(partition.pk)
    return current is None or current.legal_hold or current.is_offboarding


def _id_windows(expired, batch_rows: int):
    """`expired` cut into querysets of consecutive id ranges of `batch_rows` ids,
    from the lowest expired id to the highest (read once, before the first window)."""
    bounds = expired.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    for start in range(bounds["low"], bounds["high"] + 1, batch_rows):
        yield expired.filter(pk__gte=start, pk__lt=start + batch_rows)


def _delete_rows(window) -> int:
    """DELETE the window's rows in one statement and return how many went. The
    models' children are DB_CASCADE, so Django collects nothing (a fast delete)."""
    _total, per_model = window.delete()
    return per_model.get(window.model._meta.label, 0)


# ----- contacts across clients: move and merge --------------------------------------

# The fields of a contact a merge fills from the others, and offers a choice of.
MERGED_FIELDS = Contact.DETAIL_FIELDS


def unavailable_target_reason(
    partition: ClientPartition | None, tenant: Tenant
) -> str | None:
    """Why contacts may not be moved into `partition` (share-locked by the caller),
    or None if they may: another tenant's, deleted (or being deleted), disabled, or
    being offboarded. The one place that decides it, so the offboarding rule of the
    partition lifecycle (issue 13, built in parallel) is adjusted here alone."""
    if partition is None or partition.tenant_id != tenant.pk or partition.is_deleting:
        return _("This client does not exist: it was deleted or is not yours.")
    if partition.is_offboarding:
        return _("This client is being offboarded: nothing more is moved into it.")
    if not partition.enabled:
        return _("This client is disabled: enable it before moving contacts into it.")
    return None


def frozen_source_reason(partitions) -> str | None:
    """Why contacts of these clients (share-locked by the caller) may not be moved
    out or merged, or None: a client being offboarded is read-only until its purge,
    and one on legal hold keeps its data as it is until an administrator lifts the
    hold."""
    for partition in partitions:
        if partition.is_deleting:
            return _("%(client)s is being deleted: its contacts go with it.") % {
                "client": partition.name
            }
        if partition.is_offboarding:
            return _(
                "%(client)s is being offboarded: its contacts are read-only until "
                "the purge."
            ) % {"client": partition.name}
        if partition.legal_hold:
            return _(
                "%(client)s is on legal hold (%(reason)s): its contacts stay as "
                "they are until an administrator lifts the hold."
            ) % {"client": partition.name, "reason": partition.legal_hold_reason}
    return None


def _contacts_of(actor):
    """The contacts `actor` may work on: every one for the system (None), else
    those they see (ccadmin.scoping): a contact they cannot see is refused as if it
    did not exist."""
    return Contact.objects.all() if actor is None else Contact.objects.visible_to(actor)


def _ids(contacts) -> list[int]:
    """The primary keys of contacts given as objects, ids or a queryset."""
    if hasattr(contacts, "values_list"):
        return list(contacts.order_by().values_list("pk", flat=True))
    return [getattr(contact, "pk", contact) for contact in contacts]


def _refuse(message: str, code: str) -> None:
    raise ValidationError(message, code=code)


@dataclass(frozen=True)
class MoveResult:
    """What a move did: the counts its audit entry and its message give."""

    contacts: int
    emails: int
    activities: int
    companies_moved: int
    companies_kept: tuple[str, ...]
    unlinked: int
    target: ClientPartition | None

    def describe(self) -> str:
        """The move in one or two sentences, for the administrator and the audit."""
        target = str(self.target) if self.target else _("No client")
        text = _(
            "Moved %(contacts)s to %(target)s with %(emails)s and %(activities)s; "
            "%(companies)s followed."
        ) % {
            "contacts": count_of("contacts", self.contacts),
            "target": target,
            "emails": count_of("emails", self.emails),
            "activities": count_of("activities", self.activities),
            "companies": count_of("companies", self.companies_moved),
        }
        if self.companies_kept:
            text += " " + _(
                "These companies stay with their client, as some of their contacts "
                "did not move, and %(unlinked)s moved contacts no longer belong to "
                "them: %(names)s."
            ) % {"unlinked": self.unlinked, "names": ", ".join(self.companies_kept)}
        return text


def move_contacts(
    contacts, to_partition: ClientPartition | None, *, actor
) -> MoveResult:
    """Move contacts, with their emails (and those emails' raw sources, which have
    no client of their own) and their activity history, to another client of their
    tenant, or to no client (None), as `actor`, in one transaction.

    A company follows when all of its contacts move; otherwise it stays, and the
    moved contacts lose their link to it (a contact's company is of its own
    client). Refuses (ValidationError, nothing written) a target that is another
    tenant's, deleted, disabled or offboarding (unavailable_target_reason), contacts
    `actor` cannot see or of several tenants, a placeholder contact ("Withheld
    number": one per client), and, for a member of chosen clients, a target that is
    not one of their clients (no client included). Set-based: the same number of
    queries for one contact as for thousands. Audited: a change entry per contact
    (client before and after) and one entry with the counts on the target.
    """
    ids = _ids(contacts)
    if not ids:
        _refuse(_("Choose at least one contact to move."), "nothing_to_move")
    target_id = to_partition.pk if to_partition is not None else None
    clients = chosen_clients(actor)
    # A client the actor does not work for (or no client, for a member of chosen
    # clients) is as if it did not exist: refused without locking it.
    foreign = clients is not None and target_id not in clients
    with transaction.atomic():
        # ccadmin/locks.py: the clients (rank 3, shared, in key order) before the
        # contacts' rows, as a delete or a purge takes them: the other order could
        # deadlock with a client being deleted. The clients are read first without
        # a lock, and the move refused if a contact changed client meanwhile.
        seen = dict(
            _contacts_of(actor).filter(pk__in=ids).values_list("pk", "partition_id")
        )
        sources = set(seen.values()) - {None}
        wanted = set() if foreign or target_id is None else {target_id}
        locked = share_client_partitions(sources | wanted)
        rows = list(
            _contacts_of(actor)
            .filter(pk__in=ids)
            .order_by("pk")
            .select_for_update(of=("self",))
            .select_related("tenant")
        )
        if len(rows) != len(set(ids)):
            _refuse(_("Some of these contacts do not exist."), "unknown_contacts")
        if any(seen.get(row.pk) != row.partition_id for row in rows):
            _refuse(
                _("Some of these contacts changed client meanwhile: try again."),
                "changed_meanwhile",
            )
        tenants = {row.tenant_id for row in rows}
        if len(tenants) > 1:
            _refuse(_("Move the contacts of one tenant at a time."), "tenants")
        if any(row.placeholder for row in rows):
            _refuse(
                _(
                    'A "Withheld number" or "Unknown sender" contact stays with its '
                    "client."
                ),
                "placeholder",
            )
        tenant = rows[0].tenant
        target = locked.get(target_id) if wanted else None
        reason = frozen_source_reason(
            locked[pk] for pk in sorted(sources) if pk in locked
        )
        if reason:
            raise ValidationError({"partition": reason}, code="frozen_source")
        if foreign or to_partition is not None:
            reason = unavailable_target_reason(target, tenant)
            if reason:
                raise ValidationError({"partition": reason}, code="unavailable")
        result = _move_rows(rows, ids, target)
        before = [audit.snapshot(row) for row in rows]
        kept = set(result.pop("kept_company_ids"))
        for row in rows:
            row.partition = target
            if row.company_id in kept:
                row.company = None
        outcome = MoveResult(target=target, **result)
        audit.log_change(actor, rows, before=before)
        with translation.override(None):
            audit.log_event(actor, target or tenant, outcome.describe())
    return outcome


def _move_rows(rows: list[Contact], ids: list[int], target) -> dict:
    """move_contacts' UPDATEs, each one statement whatever the number of rows."""
    target_id = target.pk if target else None
    company_ids = {row.company_id for row in rows} - {None}
    staying = set(
        Contact.objects.filter(company_id__in=company_ids)
        .exclude(pk__in=ids)
        .order_by()
        .values_list("company_id", flat=True)
        .distinct()
    )
    following = company_ids - staying
    moved_emails = Email.objects.filter(contact_id__in=ids)
    activities = Activity.objects.filter(
        Q(contact_id__in=ids) | Q(email__contact_id__in=ids)
    )
    counts = {
        "activities": activities.update(partition_id=target_id),
        "emails": moved_emails.update(partition_id=target_id),
        "companies_moved": Company.objects.filter(pk__in=following).update(
            partition_id=target_id
        ),
        "unlinked": Contact.objects.filter(pk__in=ids, company_id__in=staying).update(
            company=None
        ),
    }
    Contact.objects.filter(pk__in=ids).update(partition_id=target_id)
    kept_names = sorted(
        Company.objects.filter(pk__in=staying).values_list("name", flat=True)
    )
    return {
        **counts,
        "contacts": len(rows),
        "companies_kept": tuple(kept_names),
        "kept_company_ids": staying,
    }


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: the contact kept, the ids merged into it, the fields
    filled or chosen, and the emails and activity entries moved onto it."""

    keep: Contact
    merged_ids: tuple[int, ...]
    filled: tuple[str, ...]
    emails: int
    activities: int

    def describe(self) -> str:
        """The merge in one sentence, for the administrator and the audit."""
        return _(
            "Merged contacts %(ids)s into this one, with %(emails)s and "
            "%(activities)s; fields taken from them: %(fields)s."
        ) % {
            "ids": ", ".join(f"#{pk}" for pk in self.merged_ids),
            "emails": count_of("emails", self.emails),
            "activities": count_of("activities", self.activities),
            "fields": ", ".join(audit.field_labels(Contact, self.filled)) or "—",
        }


def merge_contacts(
    keep: Contact, others, *, actor, chosen: dict[str, int] | None = None
) -> MergeResult:
    """Merge duplicates of one person into `keep`, as `actor`, in one transaction:
    the others' emails and activity history move onto `keep`, `keep`'s empty
    fields are filled from the others (the first one that has a value), and the
    others are deleted.

    `chosen` (the admin's side-by-side page) maps a field (MERGED_FIELDS) to the id
    of the contact whose value is kept, empty or not. Refuses (ValidationError,
    nothing written) others of another client or tenant than `keep`'s, contacts
    `actor` cannot see, `keep` among the others, and placeholder contacts. Audited:
    `keep`'s change (values before and after), an entry on it naming the merged ids
    and the fields taken, and a deletion entry for each of the others.
    """
    other_ids = _ids(others)
    if not other_ids:
        _refuse(_("Choose at least two contacts to merge."), "nothing_to_merge")
    if keep.pk in other_ids:
        _refuse(_("A contact cannot be merged into itself."), "into_itself")
    with transaction.atomic():
        if keep.partition_id:
            # ccadmin/locks.py, rank 3: the client stays while its contacts merge.
            client = share_client_partitions([keep.partition_id]).get(keep.partition_id)
            if reason := frozen_source_reason([client] if client else []):
                _refuse(reason, "frozen_source")
        rows = {
            row.pk: row
            for row in _contacts_of(actor)
            .filter(pk__in=[keep.pk, *other_ids])
            .order_by("pk")
            .select_for_update(of=("self",))
        }
        if len(rows) != len({keep.pk, *other_ids}):
            _refuse(_("Some of these contacts do not exist."), "unknown_contacts")
        kept = rows[keep.pk]
        if kept.partition_id != keep.partition_id:
            _refuse(
                _("This contact changed client meanwhile: try again."),
                "changed_meanwhile",
            )
        merged = [rows[pk] for pk in other_ids]
        if any(
            (row.tenant_id, row.partition_id) != (kept.tenant_id, kept.partition_id)
            for row in merged
        ):
            _refuse(
                _("Only contacts of the same client can be merged."), "other_client"
            )
        if any(row.placeholder for row in rows.values()):
            _refuse(
                _('A "Withheld number" or "Unknown sender" contact cannot be merged.'),
                "placeholder",
            )
        before = audit.snapshot(kept)
        filled = _take_values(kept, merged, rows, chosen or {})
        kept.full_clean()
        emails = Email.objects.filter(contact_id__in=other_ids).update(contact=kept)
        activities = Activity.objects.filter(contact_id__in=other_ids).update(
            contact=kept
        )
        result = MergeResult(kept, tuple(other_ids), filled, emails, activities)
        with translation.override(None):
            message = result.describe()
            gone = _("Merged into contact #%(id)s.") % {"id": kept.pk}
        audit.record_each(actor, [(row, gone) for row in merged], DELETION)
        Contact.objects.filter(pk__in=other_ids).delete()
        kept.save()
        audit.log_change(actor, [kept], before=before)
        audit.log_event(actor, kept, message)
    return result


def _take_values(kept: Contact, merged: list[Contact], rows: dict, chosen) -> tuple:
    """Set on `kept` the values chosen, then fill its empty fields from the first of
    `merged` that has one; return the names of the fields that changed."""
    changed = []
    for name in MERGED_FIELDS:
        attname = Contact._meta.get_field(name).attname
        source = rows.get(chosen.get(name))
        if source is None:
            if getattr(kept, attname):
                continue
            source = next((row for row in merged if getattr(row, attname)), None)
        if source is None or getattr(source, attname) == getattr(kept, attname):
            continue
        setattr(kept, attname, getattr(source, attname))
        changed.append(name)
    return tuple(changed)


# ----- a data subject's erasure (GDPR Art. 17) --------------------------------------


def erase_data_subject(subject: Subject, *, actor) -> ErasureCertificate:
    """Erase everything the tenant holds of a data subject (contacts.data_subject:
    their contacts in every client and in none, those contacts' emails with their
    original messages, and the activity history of both), in one transaction, and
    leave an ErasureCertificate with the counts and a keyed, salted hash of the
    identifier, never the identifier.

    The subject's name, address and number are also taken out of the tenant's
    earlier audit trail entries (ccadmin.audit.scrub). The erasure is audited once,
    on the certificate, in words that hold none of them; the contacts' deletions
    are not audited one by one, which would write the name again.

    Raises DataSubjectRefused (legal hold, a client `actor` does not work for,
    nothing to erase); nothing is changed then.
    """
    with transaction.atomic():
        # ccadmin/locks.py, rank 3: the clients involved, shared, before the
        # contacts' rows (the order a delete or a purge takes), so that a legal hold
        # placed meanwhile waits for this erasure or this one for it (and sees it).
        preview = records_of(subject)
        share_client_partitions(preview.partition_ids)
        records = records_of(subject, for_update=True)
        if set(records.partition_ids) - set(preview.partition_ids):
            raise DataSubjectRefused(
                _("This person's records changed meanwhile: try again.")
            )
        check_request(records, actor)
        if reason := offboarding_refusal(records):
            raise DataSubjectRefused(reason)
        if not records.contact_ids:
            raise DataSubjectRefused(
                _("No contact of this tenant has that %(kind)s: nothing to erase.")
                % {"kind": subject.describe_kind()}
            )
        contacts = list(Contact.objects.filter(pk__in=records.contact_ids))
        words = {subject.identifier}
        for contact in contacts:
            words.add(contact.email)
            for number in (contact.phone, contact.mobile):
                words.update(written_forms(number, contact.phone_region()))
            # A name is searched for in the whole trail only when whole (given and
            # family name): a single word ("Smith", a company-like "Acme") would blank
            # other people's entries. Entries about the erased records lose their
            # names whatever they are (ccadmin.audit.scrub).
            for name in (
                str(contact),
                f"{contact.first_name} {contact.last_name}",
                f"{contact.last_name} {contact.first_name}",
            ):
                if len(name.split()) >= 2:
                    words.add(name.strip())
        audit.scrub(
            subject.tenant.pk,
            [
                (Contact, records.contact_ids),
                (Email, records.email_ids),
                (Activity, records.activity_ids),
            ],
            words,
        )
        # The database deletes the emails (and their sources) and the activity
        # entries with their contacts (DB_CASCADE); the counts were read above,
        # under the contacts' locks.
        Contact.objects.filter(pk__in=records.contact_ids).delete()
        salt = secrets.token_hex(16)
        certificate = ErasureCertificate.objects.create(
            tenant=subject.tenant,
            erased_at=timezone.now(),
            erased_by=(actor or system_user()).get_username(),
            identifier_kind=subject.kind,
            salt=salt,
            identifier_hash=ErasureCertificate.hash_identifier(
                subject.kind, subject.identifier, salt
            ),
            client_partition_ids=records.partition_ids,
            **records.counts,
        )
        audit.log_event(
            actor,
            certificate,
            _("Erased a data subject's data (found by %(kind)s): %(counts)s")
            % {"kind": subject.describe_kind(), "counts": records.describe()},
        )
    return certificate
