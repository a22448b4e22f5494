"""URLs of the contact center administrator."""

from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from ccadmin import zones


def favicon(request):
    """/favicon.ico: a redirect to the static icon every page links."""
    return HttpResponsePermanentRedirect(static("ccadmin/favicon.svg"))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("agent/", include("contacts.urls")),
    path("api/v1/", include("api.urls")),
    path("api/", include("interactions.urls")),
    # Django's set_language view: the language switch in the admin and agent pages.
    path("i18n/", include("django.conf.urls.i18n")),
    # A superuser's choice of the zone they read times in (ccadmin.zones).
    path("time-zone/", zones.choose_time_zone, name="time_zone"),
    # Browsers ask for /favicon.ico on pages that link none (a JSON answer opened in
    # a tab): the same icon every page links, never a 404.
    path("favicon.ico", favicon, name="favicon"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
