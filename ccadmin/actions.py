"""Operations on tenants and memberships: their one writer.

The service provider's screens (ccadmin.admin) and the commands add and change
contact centers and say which one each user works for here, so every write is checked
by the model's rules and audited once (ccadmin.audit), with before and after values for
a change. Each function runs in one transaction.
"""

from collections.abc import Iterable

from ccadmin import writes
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
