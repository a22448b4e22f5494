"""App configuration of client partitions, shown under "Case & Contact Management"."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartitionsConfig(AppConfig):
    """Client partitions: the BPO clients a tenant serves."""

    name = "partitions"
    verbose_name = _("Case & Contact Management")

    def ready(self) -> None:
        # Imported here, not at the top: models and admin classes load only once the
        # app registry is ready.
        from ccadmin.admin_base import register_choice_field
        from ccadmin.roles import (
            ADMINISTRATORS,
            AGENTS,
            ALL,
            CLIENT_SUPERVISORS,
            grant,
        )
        from ccadmin.sites import menu_group
        from partitions import signals  # noqa: F401  (connects the receivers)
        from partitions.admin_fields import ClientPartitionChoiceField

        register_choice_field("partitions.ClientPartition", ClientPartitionChoiceField)
        menu_group("partitions")
        # Retention and legal hold: administrators only (not client supervisors).
        grant(ADMINISTRATORS, "partitions.clientpartition", (*ALL, "set_retention"))
        grant(AGENTS, "partitions.clientpartition", ("view",))
        # Properties and Enabled of their own clients, and the "Export data" button
        # (a view permission); adding and deleting clients stays the administrators'.
        grant(CLIENT_SUPERVISORS, "partitions.clientpartition", ("change", "view"))
