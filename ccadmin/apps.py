"""App configurations of the core app and of the Contact Center Administrator site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CcadminConfig(AppConfig):
    """The core app: tenants (contact centers) and who belongs to them."""

    default = True
    name = "ccadmin"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        # The empty choice of every select (Django 6.1's BLANK_CHOICE_LABEL, which
        # an app's ready() may set): the same words, marked here so the project's
        # catalogue translates them. Django's own Japanese catalogue does not yet,
        # and a Japanese page showed "- Select an option -".
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = _("- Select an option -")

        # Keeps cached permission sets current (ccadmin.auth): connected on import.
        from ccadmin import signals  # noqa: F401


class ContactCenterAdminConfig(admin_apps.AdminConfig):
    """Installs the Contact Center Administrator as Django's default admin site."""

    default = False

    default_site = "ccadmin.sites.ContactCenterAdminSite"
