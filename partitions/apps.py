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
        from ccadmin.admin_base import register_choice_field, register_tenant_usage
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

        register_choice_field(
            "partitions.ClientPartition",
            ClientPartitionChoiceField,
            related_links=False,
        )
        # An offboarding client is read-only: every write of its rows is refused.
        from ccadmin.writes import register_client_write_check
        from partitions.offboarding import refuse_offboarding_writes

        register_client_write_check(refuse_offboarding_writes)
        # A deletion's audit entry links to its certificate.
        from ccadmin.audit import register_entry_link
        from partitions.certificates import certificate_link

        register_entry_link(certificate_link)
        menu_group("partitions")
        # The limit on the service provider's Tenants screen.
        from partitions.limit import partition_usage, partition_usages

        register_tenant_usage(
            lambda: {usage.tenant.pk: usage for usage in partition_usages()},
            partition_usage,
        )
        # Retention and legal hold: administrators only (not client supervisors).
        grant(ADMINISTRATORS, "partitions.clientpartition", (*ALL, "set_retention"))
        grant(AGENTS, "partitions.clientpartition", ("view",))
        # Properties and Enabled of their own clients, and the "Export data" button
        # (a view permission); adding and deleting clients stays the administrators'.
        grant(CLIENT_SUPERVISORS, "partitions.clientpartition", ("change", "view"))
        # Deletion certificates: the tenant's administrators, who read its whole
        # audit trail. Not client supervisors: the client certified is gone, and
        # rows of no client are not theirs (visible_to would show them none).
        grant(ADMINISTRATORS, "partitions.deletioncertificate", ("view",))
