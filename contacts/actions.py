"""Operations on contacts, companies, emails and activity history: the one writer of
these models.

The admin, the agent desktop, the importer, routing and the commands all write through
these functions, so every row is checked by the model's rules (which normalise it:
contacts.models) and every write of a person or a command is audited once, here
(ccadmin.audit), with before and after values for a change. Each function runs in one
transaction.

A contact's client partition must belong to the contact's tenant; an agent may put a
contact only into an enabled one: that rule is checked here, under a lock on the
partition row, not in the views.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ccadmin import audit, writes
from ccadmin.bulk import insert_all
from ccadmin.models import Tenant
from contacts.models import Activity, Company, Contact, Email, is_cjk
from partitions.locks import lock_client_partition
from partitions.models import ClientPartition


def available_partition(tenant: Tenant, partition_id: int | None) -> ClientPartition:
    """Lock and return the tenant's enabled partition `partition_id`.

    Raises ValidationError (on the "partition" field) if it is another tenant's,
    disabled or deleted. Call inside a transaction.
    """
    partition = lock_client_partition(partition_id) if partition_id else None
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

    Raises ValidationError, keyed by field, for a bad value or an unavailable client;
    nothing is written then.
    """
    with transaction.atomic():
        partition = available_partition(tenant, partition_id) if partition_id else None
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


def contact_for_sender(
    tenant: Tenant,
    partition: ClientPartition | None,
    *,
    email: str = "",
    phone: str = "",
    display_name: str = "",
    actor=None,
) -> tuple[Contact, bool]:
    """Find the contact an interaction comes from, inside `partition` (or among the
    tenant's contacts of no client), by email address or phone, each compared in its
    stored form; create it there if there is none, audited as `actor` (None: the
    system account). Returns (contact, created).

    Used by routing, inside its transaction and under its locks, so two interactions
    from a new sender never create two contacts.
    """
    # The sender in the form contacts are stored in, whoever stored them
    # (Contact.normalize), so an imported "090-1111-2222" is found by that caller.
    probe = Contact(email=email, phone=phone)
    probe.normalize()
    contacts = Contact.objects.filter(tenant=tenant, partition=partition)
    if probe.email:
        found = contacts.filter(email=probe.email).order_by("pk").first()
    else:
        found = contacts.filter(phone=probe.phone).order_by("pk").first()
    if found is not None:
        return found, False
    first_name, last_name = split_display_name(display_name)
    contact = Contact(
        tenant=tenant,
        partition=partition,
        first_name=first_name[:100],
        last_name=last_name[:100],
        email=probe.email,
        phone=probe.phone,
    )
    return add_contact(contact, actor=actor), True


def record_interaction(email: Email | None, activity: Activity) -> Activity:
    """Store an incoming interaction routing has assigned: its Email (for an email)
    and its entry of activity history, in one transaction.

    Not audited: these rows are themselves the contact center's record of what came
    in, written at the gateways' pace; the audit trail records what people and
    commands change (the contact routing creates is audited, by contact_for_sender).
    """
    with transaction.atomic():
        if email is not None:
            email.save()
            activity.email = email
        activity.save()
    return activity


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
