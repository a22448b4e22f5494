"""Which rows of a contact center a user may see: the one place that decides it.

Every tenant-owned model (client partitions, services, gateway tokens, companies,
contacts, emails, activity history, memberships, personal API tokens, the audit
trail) has a TenantScopedQuerySet as its default manager, and every screen, page
and form that shows rows to a user starts from `Model.objects.visible_to(user)`
(NetBox's `RestrictedQuerySet.restrict()` is the model). Nothing else filters by
the viewer's tenant or clients by hand, so a rule about visibility is changed here
once.

Two levels: the tenant (a contact center sees only its own rows), then the clients
(a member who works for chosen clients only, ccadmin.tenancy.client_scope, sees only
those clients' rows). Each queryset class declares how its rows narrow to clients
(`client_field`); tests/test_client_scope.py fails for a model that does not.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

from django.contrib.admin.models import LogEntryManager
from django.db import models

from ccadmin.tenancy import client_scope, tenant_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# A queryset class that has not said how its rows narrow to clients: a member of
# chosen clients sees none of them (closed by default), and the canary test fails.
UNDECLARED = object()
# `client_field` of a client partition itself: it is its own client.
CLIENT_ITSELF = "pk"
# `client_field` of rows that belong to no client (a tenant's gateway tokens): only
# members of every client see them.
NO_CLIENT = None


class TenantScopedQuerySet(models.QuerySet):
    """Rows that belong to one tenant (contact center) through `tenant_field`, and
    to one of its clients (or to none) through `client_field`."""

    # The lookup from a row to its tenant; a subclass names another path.
    tenant_field = "tenant"
    # The lookup from a row to its client partition (a NULL one: no client),
    # CLIENT_ITSELF, or NO_CLIENT. Every subclass declares it.
    client_field: str | object | None = UNDECLARED

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        """The rows `user` may see: every tenant's for an active superuser (the
        service provider), their own tenant's for an active member of a contact
        center, narrowed to the clients they work for when they do not work for
        every client (client_scope); none for anyone else (anonymous, inactive, or
        staff without a tenant).

        Rows of no client are visible only to members of every client. Costs no
        query of its own for a member of every client, one per request for a member
        of chosen clients: the user's tenant and clients are looked up once and
        cached on the user (ccadmin.tenancy).
        """
        if not getattr(user, "is_active", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        tenant = tenant_of(user)
        if tenant is None:
            return self.none()
        rows = self.filter(**{self.tenant_field: tenant})
        clients = client_scope(user)
        if clients is None:
            return rows
        return rows.narrow_to_clients(user, clients)

    def narrow_to_clients(
        self, user: AbstractBaseUser | AnonymousUser, clients: frozenset[int]
    ) -> Self:
        """These rows, less those of clients other than `clients` and those of no
        client, by `client_field`. A queryset whose rows follow another rule (the
        people of a contact center) overrides this."""
        field = self.client_field
        if field is UNDECLARED or field is NO_CLIENT:
            return self.none()
        # `field__in` leaves out NULL: the rows of no client.
        return self.filter(**{f"{field}__in": clients})


def client_field_of(model: type[models.Model]) -> str | object | None:
    """How rows of `model` narrow to clients (its default manager's queryset's
    `client_field`), UNDECLARED for a model that is not tenant-scoped or has not
    said."""
    queryset = getattr(model._default_manager, "_queryset_class", None)
    if queryset is None or not issubclass(queryset, TenantScopedQuerySet):
        return UNDECLARED
    return queryset.client_field


def client_id_of(obj: models.Model) -> int | None:
    """The client partition a row belongs to (a client partition is its own), or
    None: a row of no client, or of a model whose client is not a column of its own.
    What the audit trail records beside an entry (ccadmin.audit)."""
    field = client_field_of(type(obj))
    if field == CLIENT_ITSELF:
        return obj.pk
    if not isinstance(field, str) or "__" in field:
        return None
    return getattr(obj, obj._meta.get_field(field).attname)


def works_for_client_of(user, obj: models.Model) -> bool:
    """Whether `user`'s clients (client_scope) include the client `obj` belongs to:
    always for a member of every client; never for a row of no client otherwise.
    The check a person's writes pass (ccadmin.writes), on the row as it is and as it
    will be."""
    clients = client_scope(user) if user is not None else None
    if clients is None:
        return True
    client_id = client_id_of(obj)
    return client_id is not None and client_id in clients


class MembershipQuerySet(TenantScopedQuerySet):
    """The people of a contact center: its members of every client see all of them
    (the People screen); a member who works for chosen clients sees only their own
    membership, not who else works where."""

    client_field = NO_CLIENT

    def narrow_to_clients(self, user, clients):
        return self.filter(user_id=user.pk)


# The permission that lets a contact center's administrators see and revoke every
# personal API token of their tenant, not only their own (ccadmin.roles grants it).
TENANT_API_TOKENS_PERMISSION = "ccadmin.manage_tenant_apitoken"


class ApiTokenQuerySet(TenantScopedQuerySet):
    """Personal API tokens: everyone sees their own; a tenant's administrators
    (TENANT_API_TOKENS_PERMISSION) see every token of their contact center; the
    service provider sees all. A token belongs to no client: it carries its
    person's own client scope, whatever it is."""

    client_field = NO_CLIENT

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        """The tokens `user` may see and revoke (see the class). Asks the user's
        permissions, read once per request and cached on the user object, as every
        admin page and the API read them anyway."""
        rows = super().visible_to(user)
        if getattr(user, "is_superuser", False) or user.has_perm(
            TENANT_API_TOKENS_PERMISSION
        ):
            return rows
        return rows.filter(user_id=user.pk)

    def narrow_to_clients(self, user, clients):
        # A member who works for chosen clients sees their own tokens only: another
        # member's token reaches clients they do not work for.
        return self.filter(user_id=user.pk)

    def usable(self, now: datetime) -> Self:
        """The tokens whose keys the API accepts at `now`: not revoked, not expired,
        of an active account that still stands where it stood when the token was
        made (in_good_standing, unexpired)."""
        return self.in_good_standing().unexpired(now)

    def in_good_standing(self) -> Self:
        """The tokens not revoked, of an active account that still stands where it
        stood when the token was made: a tenant's token works only while its person
        is still a member of that tenant (and not made a superuser since); a
        service provider's token (no tenant) only while its person is still a
        superuser. The part of usable() that does not depend on the time, which the
        API builds once per process (ccadmin.api_tokens)."""
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(tenant__isnull=True, user__is_superuser=True)
            | models.Q(
                user__is_superuser=False,
                user__membership__tenant=models.F("tenant"),
            )
        )

    def unexpired(self, now: datetime) -> Self:
        """The tokens that have not expired at `now`."""
        return self.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class AuditTrailQuerySet(TenantScopedQuerySet):
    """Audit trail entries, whose tenant and client are recorded beside them
    (AuditScope), so a deleted client's entries stay visible to its contact center.
    Entries written before the client was recorded (issue 12) have none: members of
    chosen clients do not see them."""

    tenant_field = "audit_scope__tenant"
    client_field = "audit_scope__client_partition"

    def of_client(self, client_id: int | None):
        """Entries about one client partition (deleted ones too: entries outlive
        their client), or, for None, about no client: the Audit trail's client
        filter, in the admin and the API."""
        if client_id is None:
            return self.filter(**{f"{self.client_field}__isnull": True})
        return self.filter(**{self.client_field: client_id})


class AuditTrailManager(LogEntryManager.from_queryset(AuditTrailQuerySet)):
    """LogEntry's own manager (log_action, log_actions) with `visible_to`."""

    # LogEntryManager is used in migrations; this proxy's manager needs no migration.
    use_in_migrations = False
