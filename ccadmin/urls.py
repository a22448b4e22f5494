"""URLs of the contact center administrator."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("agent/", include("contacts.urls")),
    path("api/v1/", include("api.urls")),
    path("api/", include("interactions.urls")),
    # Django's set_language view: the language switch in the admin and agent pages.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
