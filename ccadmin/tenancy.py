"""Which tenant a signed-in user works for, looked up once per request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib.auth import get_user_model

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from ccadmin.models import Tenant

_CACHE_ATTR = "_ccadmin_tenant"


def tenant_of(user: AbstractBaseUser | AnonymousUser) -> Tenant | None:
    """Return the tenant (contact center) the user belongs to, or None.

    Superusers and users without a membership have none. The answer is cached on the
    user object, which Django keeps for the whole request.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, _CACHE_ATTR):
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
        setattr(user, _CACHE_ATTR, membership.tenant if membership else None)
    return getattr(user, _CACHE_ATTR)
