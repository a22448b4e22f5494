"""Operations on tenants and memberships: their one writer.

The service provider's screens (ccadmin.admin) and the commands add and change
contact centers and say which one each user works for here, so every write is checked
by the model's rules and audited once (ccadmin.audit), with before and after values for
a change. Each function runs in one transaction.
"""

from collections.abc import Iterable

from django.contrib.admin.models import CHANGE
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ccadmin import audit, writes
from ccadmin.models import Membership, Tenant


def add_tenant(tenant: Tenant, *, actor) -> Tenant:
    """Host a new contact center; audit it. Raises ValidationError (a name or slug
    already used)."""
    return writes.add(tenant, actor=actor)


def change_tenant(tenant: Tenant, *, actor) -> Tenant:
    """Save a contact center's new name, slug or client partition limit; audit the
    old and new values. Raises ValidationError."""
    return writes.change(tenant, actor=actor)


def add_membership(membership: Membership, *, actor) -> Membership:
    """Make a user an administrator or agent of a tenant; audit it. Raises
    ValidationError (the user already works for a tenant)."""
    return writes.add(membership, actor=actor)


def change_membership(membership: Membership, *, actor) -> Membership:
    """Move a user to another tenant; audit the old and new tenant. Raises
    ValidationError."""
    return writes.change(membership, actor=actor)


def delete_memberships(memberships: Iterable[Membership], *, actor) -> int:
    """Take users out of their tenants (they see no tenant's data any more); audit
    each. Returns how many went."""
    return writes.delete(Membership, memberships, actor=actor)


def _client_names(clients) -> list[str]:
    return sorted(str(client) for client in clients)


def set_member_clients(
    membership: Membership, all_clients: bool, clients: Iterable, *, actor
) -> Membership:
    """Say which clients (client partitions) a member of a contact center works
    for: every client (`all_clients`, the default of a new membership), or only
    `clients` (possibly none: the person then sees no client's data at all).

    Every client must be one of the membership's own tenant: another tenant's is
    refused (ValidationError on "client_partitions") and nothing is written. With
    `all_clients` the chosen list is emptied: it would mean nothing. Audited once,
    with the setting and the clients' names before and after. Writes the
    assignments (partitions.ClientAssignment) here, their one writer.
    """
    clients = [] if all_clients else list(dict.fromkeys(clients))
    foreign = [c for c in clients if c.tenant_id != membership.tenant_id]
    if foreign:
        raise ValidationError(
            {
                "client_partitions": _(
                    "These clients are not clients of %(tenant)s: %(names)s."
                )
                % {
                    "tenant": membership.tenant,
                    "names": ", ".join(_client_names(foreign)),
                }
            },
            code="other_tenant",
        )
    with transaction.atomic():
        stored = Membership.objects.select_for_update().get(pk=membership.pk)
        before = {
            "all_client_partitions": stored.all_client_partitions,
            "client_partitions": _client_names(stored.client_partitions.all()),
        }
        membership.all_client_partitions = all_clients
        membership.full_clean()
        membership.save(update_fields=["all_client_partitions"])
        membership.client_partitions.set(clients)
        after = {
            "all_client_partitions": all_clients,
            "client_partitions": _client_names(clients),
        }
        names = [name for name in after if before[name] != after[name]]
        message = (
            [
                {
                    "changed": {
                        "fields": audit.field_labels(Membership, names),
                        "before": {name: before[name] for name in names},
                        "after": {name: after[name] for name in names},
                    }
                }
            ]
            if names
            else []
        )
        audit.record(actor, [membership], CHANGE, message)
    return membership
