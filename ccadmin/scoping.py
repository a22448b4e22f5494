"""Which rows of a contact center a user may see: the one place that decides it.

Every tenant-owned model (client partitions, services, gateway tokens, companies,
contacts, emails, activity history, memberships, the audit trail) has a
TenantScopedQuerySet as its default manager, and every screen, page and form that
shows rows to a user starts from `Model.objects.visible_to(user)` (NetBox's
`RestrictedQuerySet.restrict()` is the model). Nothing else filters by the viewer's
tenant by hand, so a rule about visibility is changed here once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.contrib.admin.models import LogEntryManager
from django.db import models

from ccadmin.tenancy import tenant_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class TenantScopedQuerySet(models.QuerySet):
    """Rows that belong to one tenant (contact center) through `tenant_field`."""

    # The lookup from a row to its tenant; a subclass names another path.
    tenant_field = "tenant"

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        """The rows `user` may see: every tenant's for an active superuser (the
        service provider), their own tenant's for an active member of a contact
        center, none for anyone else (anonymous, inactive, or staff without a
        tenant).

        The single place visibility is decided: the client-scope issue (issue 10)
        narrows a member's rows to the clients they serve here, and every caller
        follows. Costs no query of its own: the user's tenant is looked up once per
        request and cached on the user (ccadmin.tenancy.tenant_of).
        """
        if not getattr(user, "is_active", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        tenant = tenant_of(user)
        if tenant is None:
            return self.none()
        return self.filter(**{self.tenant_field: tenant})


class AuditTrailQuerySet(TenantScopedQuerySet):
    """Audit trail entries, whose tenant is recorded beside them (AuditScope), so a
    deleted client's entries stay visible to its contact center."""

    tenant_field = "audit_scope__tenant"


class AuditTrailManager(LogEntryManager.from_queryset(AuditTrailQuerySet)):
    """LogEntry's own manager (log_action, log_actions) with `visible_to`."""

    # LogEntryManager is used in migrations; this proxy's manager needs no migration.
    use_in_migrations = False
