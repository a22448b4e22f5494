from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The administration API v1 (/api/v1/): a third caller of the apps' actions,
    beside the admin and the commands."""

    name = "api"
    verbose_name = _("Administration API")
