"""App configuration of services, shown under "Services & Campaigns"."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    """Services: the queues that calls, chats and emails come in through."""

    name = "services"
    verbose_name = _("Services & Campaigns")

    def ready(self) -> None:
        # Imported here, not at the top: models load only once the app registry is
        # ready. Tells partitions what a client partition holds of this app.
        from ccadmin.roles import ADMINISTRATORS, ALL, CLIENT_SUPERVISORS, grant
        from ccadmin.sites import menu_group
        from services.partition_data import register_partition_data

        register_partition_data()
        menu_group("services")
        grant(ADMINISTRATORS, "services.service", ALL)
        grant(ADMINISTRATORS, "services.gatewaytoken", ALL)
        grant(CLIENT_SUPERVISORS, "services.service", ("view",))
