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
        from ccadmin.roles import (
            ADMINISTRATORS,
            AGENTS,
            ALL,
            CLIENT_SUPERVISORS,
            grant,
        )
        from ccadmin.sites import menu_group
        from contacts.actions import delete_expired_history
        from contacts.partition_data import register_partition_data, register_retention

        register_partition_data()
        register_retention(delete_expired_history)
        # Shown beside client partitions, as the product's menu does.
        menu_group("contacts", under="partitions")
        for model in ("company", "contact", "email", "activity"):
            grant(ADMINISTRATORS, f"contacts.{model}", ALL)
            grant(AGENTS, f"contacts.{model}", ("view",))
            grant(CLIENT_SUPERVISORS, f"contacts.{model}", ALL)
        grant(AGENTS, "contacts.contact", ("add", "view"))
        # Erasure certificates: read by the contact center's administrators.
        grant(ADMINISTRATORS, "contacts.erasurecertificate", ("view",))
