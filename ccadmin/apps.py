"""App configurations of the core app and of the Contact Center Administrator site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CcadminConfig(AppConfig):
    """The core app: tenants (contact centers) and who belongs to them."""

    default = True
    name = "ccadmin"
    verbose_name = _("Tenancy")


class ContactCenterAdminConfig(admin_apps.AdminConfig):
    """Installs the Contact Center Administrator as Django's default admin site."""

    default = False

    default_site = "ccadmin.sites.ContactCenterAdminSite"
