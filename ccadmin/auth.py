"""Signing in: Django's model backend, loading the user's tenant with the user, and
the page shown when repeated failures have locked a sign-in out (django-axes)."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ccadmin.tenancy import membership_of, tenant_of

# A day: entries never go stale (the key holds the person's roles_version), the
# timeout only lets unused ones go.
PERMISSIONS_CACHE_SECONDS = 86_400


class TenantModelBackend(ModelBackend):
    """Django's username/password backend. The user of each request is loaded with
    its membership and tenant in the same query, so tenancy costs no extra query on
    any page (measured on the agent drop-down JSON: bench/RESULTS.md)."""

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("membership__tenant")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    # A user's roles count only inside the contact center they work for: a staff
    # account the service provider has not yet put in a tenant (or has taken out of
    # one) holds no permission at all, whatever its groups, so every admin screen,
    # command and view that asks has_perm() refuses it, with no check of its own.

    def get_user_permissions(self, user_obj, obj=None):
        if not _works_for_a_tenant(user_obj):
            return set()
        return super().get_user_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj, obj=None):
        if not _works_for_a_tenant(user_obj):
            return set()
        return super().get_group_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj, obj=None):
        """The person's permissions, as Django's model backend reads them (two
        queries), but read once per change of their roles, not once per request:
        cached under their membership's roles_version, which every change of their
        groups or their roles' permissions bumps in the same transaction
        (ccadmin.signals), and which comes with the user at no query. So a role
        taken away is refused at the person's very next request, in every process.
        A superuser's (every permission, and rare) are read as Django does."""
        membership = membership_of(user_obj)
        if (
            obj is None
            and membership is not None
            and user_obj.is_active
            and not user_obj.is_superuser
            and not hasattr(user_obj, "_perm_cache")
        ):
            # The membership's id too: a person taken out of a tenant and put back
            # gets a new membership, whose version starts again at 0.
            key = (
                f"permissions:{user_obj.pk}:{membership.pk}:{membership.roles_version}"
            )
            permissions = cache.get(key)
            if permissions is None:
                permissions = super().get_all_permissions(user_obj)
                cache.set(key, permissions, PERMISSIONS_CACHE_SECONDS)
            # Where Django's backend keeps them for the rest of the request.
            user_obj._perm_cache = permissions
        return super().get_all_permissions(user_obj, obj)


def _works_for_a_tenant(user) -> bool:
    """Whether the user's roles apply: a superuser's always (the service provider),
    anyone else's only with a tenant."""
    return getattr(user, "is_superuser", False) or tenant_of(user) is not None


def throttled_username(request, credentials: dict | None = None) -> str | None:
    """The username django-axes counts failed sign-ins for (AXES_USERNAME_CALLABLE):
    as typed, cut to what its table holds. Django's sign-in form does not check the
    username's length before authenticating, and axes would write a longer one as it
    is: PostgreSQL refuses it and the sign-in would answer 500. No account has a name
    that long (Django allows 150 characters), so the cut changes no real username."""
    field = get_user_model().USERNAME_FIELD
    source = credentials if credentials else request.POST
    username = source.get(field)
    if username is None:
        return None
    return str(username)[: AccessAttempt._meta.get_field("username").max_length]


def lockout_message() -> str:
    """What someone locked out of signing in is told: the same words whether or not
    the username exists, so the page tells an attacker nothing about accounts."""
    minutes = settings.SIGNIN_LOCKOUT_MINUTES
    return ngettext(
        "Too many failed sign-ins. Try again in %(minutes)s minute, or ask an "
        "administrator to unlock you.",
        "Too many failed sign-ins. Try again in %(minutes)s minutes, or ask an "
        "administrator to unlock you.",
        minutes,
    ) % {"minutes": minutes}


def locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE): the admin's look on the
    admin's login, the agent pages' look on /accounts/login/; 429 Too Many Requests.
    The username tried is deliberately not shown."""
    context = {"lockout_message": lockout_message(), "title": _("Sign-in locked")}
    match = request.resolver_match
    if match is not None and match.namespace == admin.site.name:
        context.update(admin.site.each_context(request))
        return render(request, "admin/locked_out.html", context, status=429)
    return render(request, "registration/locked_out.html", context, status=429)
