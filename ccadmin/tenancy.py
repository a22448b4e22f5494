"""Which tenant a signed-in user works for, and which of its clients, looked up once
per request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib.auth import get_user_model

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from ccadmin.models import Membership, Tenant

_CACHE_ATTR = "_ccadmin_tenant"
_MEMBERSHIP_ATTR = "_ccadmin_membership"
_SCOPE_ATTR = "_ccadmin_client_scope"


def membership_of(user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    """The user's membership of a contact center (None: signed out, or none), read
    once and cached on the user object, which Django keeps for the whole request."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, _MEMBERSHIP_ATTR):
        if get_user_model().membership.related.is_cached(user):
            # Loaded with the user by ccadmin.auth.TenantModelBackend: no query.
            membership = getattr(user, "membership", None)
        else:
            # Through the app registry: ccadmin.models imports this module (by way
            # of ccadmin.scoping, for its managers), so it cannot import them back.
            membership_model = apps.get_model("ccadmin", "Membership")
            membership = (
                membership_model.objects.select_related("tenant")
                .filter(user=user)
                .first()
            )
        setattr(user, _MEMBERSHIP_ATTR, membership)
    return getattr(user, _MEMBERSHIP_ATTR)


def tenant_of(user: AbstractBaseUser | AnonymousUser) -> Tenant | None:
    """Return the tenant (contact center) the user belongs to, or None.

    Superusers and users without a membership have none. The answer is cached on the
    user object, which Django keeps for the whole request.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, _CACHE_ATTR):
        membership = membership_of(user)
        setattr(user, _CACHE_ATTR, membership.tenant if membership else None)
    return getattr(user, _CACHE_ATTR)


def client_scope(user: AbstractBaseUser | AnonymousUser) -> frozenset[int] | None:
    """Which clients (client partitions) of their tenant `user` works for: THE one
    answer every screen, page, export, import and write of a person follows (through
    `visible_to`, ccadmin.scoping).

    None means every client, and the records of no client too: a superuser (every
    tenant's, even one who also has a membership: the service provider sees
    everything), and a member whose membership is for every client (the default).
    Otherwise the ids of the clients the member is assigned to
    (Membership.client_partitions), possibly none; a user with no membership works
    for no client. Costs no query for a member of every client (the membership
    comes with the user), one for a member of chosen clients, once per request: the
    answer is cached on the user object like tenant_of's.
    """
    if getattr(user, "is_superuser", False):
        return None
    if not hasattr(user, _SCOPE_ATTR):
        membership = membership_of(user)
        if membership is None:
            scope = frozenset()
        elif membership.all_client_partitions:
            scope = None
        else:
            # The through table alone (partitions.ClientAssignment): no join.
            assignments = type(membership).client_partitions.through.objects
            scope = frozenset(
                assignments.filter(membership_id=membership.pk).values_list(
                    "client_partition_id", flat=True
                )
            )
        setattr(user, _SCOPE_ATTR, scope)
    return getattr(user, _SCOPE_ATTR)


def chosen_clients(user) -> frozenset[int] | None:
    """The clients of a member who works for chosen clients only (client_scope);
    None for everyone whose writes no client limits: members of every client,
    superusers, and accounts with no membership (the system account that commands
    and routing act as; any other such account sees and may do nothing anyway).
    What the actions check a person's writes against."""
    if user is None or membership_of(user) is None:
        return None
    return client_scope(user)


def forget_scope(user: AbstractBaseUser | AnonymousUser) -> None:
    """Drop what tenant_of and client_scope cached on this user object (after its
    membership or clients changed in the same request, or in a test)."""
    for attr in (_CACHE_ATTR, _MEMBERSHIP_ATTR, _SCOPE_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)
