"""App configuration of incoming interactions: routing, the gateway API and the
`receive_interactions` command."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    """Incoming calls, chats and emails, routed to the client partition they belong to.

    The top of the import order (ccadmin <- partitions <- services <- contacts <-
    interactions): routing reads services and writes contacts, so it lives above both.
    """

    name = "interactions"
    verbose_name = _("Interactions")
