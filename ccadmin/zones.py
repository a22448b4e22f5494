"""The time zone every page, list and export is shown in.

A contact center's people see their own local time (Tenant.time_zone): a 09:45 call
in Tokyo reads 09:45, not the 00:45 it is stored as (UTC). The service provider
(superusers) works across tenants in several zones: they see UTC unless they choose
another zone for their session (the "Time zone" page, linked from every page's
header). Whatever the zone, pages say which it is ("Times in Asia/Tokyo (JST)").
"""

from __future__ import annotations

import datetime
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from ccadmin.models import time_zone_choices, validate_time_zone
from ccadmin.tenancy import tenant_of

# The session key of a superuser's chosen zone (no cookie of its own: the session
# already carries the sign-in, and the choice ends with it).
SESSION_KEY = "ccadmin_time_zone"
# What the service provider sees until they choose: the one zone no tenant is "in".
PROVIDER_ZONE = "UTC"


def zone_name_for(user, session=None) -> str:
    """The time zone `user` reads times in: their tenant's for a contact center's
    member, their own choice (else UTC) for a superuser, the TIME_ZONE setting for
    anyone signed out. Costs no query when the membership came with the user
    (ccadmin.auth.TenantModelBackend)."""
    if getattr(user, "is_superuser", False):
        chosen = session.get(SESSION_KEY) if session is not None else None
        return chosen if chosen in zoneinfo.available_timezones() else PROVIDER_ZONE
    tenant = tenant_of(user)
    if tenant is not None and tenant.time_zone:
        return tenant.time_zone
    return settings.TIME_ZONE


def label(now: datetime.datetime | None = None) -> str:
    """The active zone as people read it: "Asia/Tokyo (JST)", "UTC"."""
    zone = timezone.get_current_timezone()
    name = getattr(zone, "key", str(zone))
    abbreviation = timezone.localtime(now or timezone.now()).tzname()
    if not abbreviation or abbreviation == name:
        return name
    return f"{name} ({abbreviation})"


class TimeZoneMiddleware:
    """Activates the zone of each request's user (zone_name_for) for the whole
    request: the admin, the agent desktop and their templates show times in it.
    After AuthenticationMiddleware; adds no query for a signed-in member."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        timezone.activate(zoneinfo.ZoneInfo(zone_name_for(request.user, session)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def time_zone(request) -> dict:
    """Template context: the active zone's label, and whether this user may choose
    their zone (superusers do; a member's is their contact center's)."""
    user = getattr(request, "user", None)
    return {
        "time_zone_label": label(),
        "time_zone_choosable": bool(getattr(user, "is_superuser", False)),
    }


class TimeZoneForm(forms.Form):
    """A superuser's choice of the zone they read times in."""

    time_zone = forms.TypedChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        validators=[validate_time_zone],
        help_text=_(
            "Times on every page are shown in this zone for the rest of your "
            "session. A contact center's people always see their own zone."
        ),
    )


@login_required(login_url="/admin/login/")
def choose_time_zone(request):
    """The "Time zone" page: a superuser picks the zone they read times in (kept in
    their session); anyone else is shown their contact center's zone."""
    allowed = request.user.is_superuser
    if request.method == "POST" and allowed:
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            request.session[SESSION_KEY] = form.cleaned_data["time_zone"]
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=False
            ):
                target = "/admin/"
            return HttpResponseRedirect(target)
    else:
        current = zone_name_for(request.user, request.session)
        form = TimeZoneForm(initial={"time_zone": current})
    context = {
        **admin.site.each_context(request),
        "title": _("Time zone"),
        "form": form,
        "allowed": allowed,
        "next": request.GET.get("next") or request.POST.get("next") or "/admin/",
    }
    return render(request, "admin/time_zone.html", context)
