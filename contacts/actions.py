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
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ccadmin import audit, writes
from ccadmin.bulk import insert_all
from ccadmin.cli import system_user
from ccadmin.locks import lock_senders, sender_lock_key
from ccadmin.models import Tenant
from ccadmin.tenancy import chosen_clients
from contacts.data_subject import (
    DataSubjectRefused,
    Subject,
    check_request,
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
    match per sender, each served by the (tenant, partition, email|phone) index."""
    if not senders:
        return {}
    match = Q()
    for sender in senders:
        if sender.placeholder:
            match |= Q(partition_id=sender.partition_id, placeholder=sender.placeholder)
        elif sender.email:
            match |= Q(partition_id=sender.partition_id, email=sender.email)
        else:
            match |= Q(partition_id=sender.partition_id, phone=sender.phone)
    wanted = set(senders)
    stored: dict[Sender, Contact] = {}
    # No ORDER BY in SQL (the model's default would sort by name): the lowest id is
    # picked here, so the database only probes the indexes.
    for contact in Contact.objects.filter(match, tenant=tenant).order_by():
        for sender in (
            Sender(contact.partition_id, email=contact.email),
            Sender(contact.partition_id, phone=contact.phone),
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


def insert_imported_contacts(contacts: list[Contact], companies: list[Company]) -> None:
    """Insert a batch of an import: its new companies, then its contacts, in one
    transaction (COPY on PostgreSQL: ccadmin.bulk).

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
        for contact in contacts:
            # Re-assign so a new company's primary key reaches company_id.
            contact.company = contact.company
        insert_all(Contact, contacts)


def log_contact_import(actor, target: ClientPartition | Tenant, message: str) -> None:
    """Record an import of contacts into a client partition (or a tenant), once per
    import, with what it did."""
    with transaction.atomic(savepoint=False):
        audit.log_event(actor, target, message)


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
        records = records_of(subject, for_update=True)
        check_request(records, actor)
        if not records.contact_ids:
            raise DataSubjectRefused(
                _("No contact of this tenant has that %(kind)s: nothing to erase.")
                % {"kind": subject.describe_kind()}
            )
        contacts = list(Contact.objects.filter(pk__in=records.contact_ids))
        words = {subject.identifier}
        for contact in contacts:
            words.update({contact.email, str(contact)})
            words.update(written_forms(contact.phone, contact.phone_region()))
            words.add(f"{contact.first_name} {contact.last_name}".strip())
            words.add(f"{contact.last_name} {contact.first_name}".strip())
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
