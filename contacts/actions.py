"""Operations on contacts: the one path the agent desktop and routing share.

Each function runs in one transaction. A contact's client partition must belong to the
contact's tenant and be enabled: that rule is checked here, under a lock on the
partition row, not in the views.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ccadmin import audit
from ccadmin.models import Tenant
from contacts.models import Contact, is_cjk
from contacts.phones import normalize_phone
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
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            title=title.strip(),
            email=email.strip().lower(),
            phone=phone.strip(),
        )
        if contact.phone:
            try:
                contact.phone = normalize_phone(contact.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from exc
        contact.full_clean()
        contact.save()
        audit.log_addition(actor, contact)
    return contact


def contact_for_sender(
    tenant: Tenant,
    partition: ClientPartition | None,
    *,
    email: str = "",
    phone: str = "",
    display_name: str = "",
) -> tuple[Contact, bool]:
    """Find the contact an interaction comes from, inside `partition` (or among the
    tenant's contacts of no client), by email address or normalised phone; create
    it there if there is none. Returns (contact, created).

    Used by routing, inside its transaction and under its locks, so two interactions
    from a new sender never create two contacts.
    """
    contacts = Contact.objects.filter(tenant=tenant, partition=partition)
    if email:
        found = contacts.filter(email__iexact=email).order_by("pk").first()
    else:
        found = contacts.filter(phone=phone).order_by("pk").first()
    if found is not None:
        return found, False
    first_name, last_name = split_display_name(display_name)
    contact = Contact(
        tenant=tenant,
        partition=partition,
        first_name=first_name[:100],
        last_name=last_name[:100],
        email=email.lower(),
        phone=phone,
    )
    contact.full_clean()
    contact.save()
    return contact, True


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
