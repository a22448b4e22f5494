"""App configuration of client partitions, shown under "Case & Contact Management"."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartitionsConfig(AppConfig):
    """Client partitions: the BPO clients a tenant serves."""

    name = "partitions"
    verbose_name = _("Case & Contact Management")

    def ready(self) -> None:
        from partitions import signals  # noqa: F401  (connects the receivers)
