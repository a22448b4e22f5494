"""App configuration of contacts and their history (Case & Contact Management)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    """Companies, contacts, emails and activity history of a tenant's clients."""

    name = "contacts"
    verbose_name = _("Contacts")
