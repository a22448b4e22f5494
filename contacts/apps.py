"""App configuration of contacts and their history (Case & Contact Management)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    """Companies, contacts, emails and activity history of a tenant's clients."""

    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        # Imported here, not at the top: models load only once the app registry is
        # ready. Tells partitions what a client partition holds of this app.
        from contacts.partition_data import register_partition_data

        register_partition_data()
