"""App configuration of services, shown under "Services & Campaigns"."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    """Services: the queues that calls, chats and emails come in through."""

    name = "services"
    verbose_name = _("Services & Campaigns")
