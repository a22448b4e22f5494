"""Services: the queues through which a contact center's interactions arrive."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ccadmin.models import Tenant
from ccadmin.text import normalize_name, validate_printable_name
from partitions.models import ClientPartition


class Service(models.Model):
    """A service (queue) of a tenant: inbound voice, chat, email and so on.

    A service may be assigned to one client partition: interactions arriving through it
    then belong to that BPO client while the partition is enabled.
    """

    class Type(models.TextChoices):
        INBOUND_VOICE = "inbound_voice", _("Inbound voice")
        OUTBOUND_VOICE = "outbound_voice", _("Outbound voice")
        BLENDED_VOICE = "blended_voice", _("Blended voice")
        CHAT = "chat", _("Chat")
        EMAIL = "email", _("Email")
        MESSAGING = "messaging", _("Messaging")

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DB_CASCADE,
        related_name="services",
        verbose_name=_("tenant"),
    )
    name = models.CharField(
        _("name"), max_length=80, validators=[validate_printable_name]
    )
    type = models.CharField(
        _("type"), max_length=20, choices=Type.choices, default=Type.INBOUND_VOICE
    )
    client_partition = models.ForeignKey(
        ClientPartition,
        # Deleting a client unassigns its services; a service is never deleted with it.
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("client partition"),
        help_text=_(
            "The BPO client whose interactions arrive through this service. "
            "Interactions are assigned to it only while it is enabled."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="%(app_label)s_%(class)s_unique_tenant_name",
                violation_error_message=_("A service with this name already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Normalise the name and keep the client partition within the tenant."""
        self.name = normalize_name(self.name or "")
        if not self.name:
            raise ValidationError({"name": _("Name is mandatory.")}, code="required")
        if (
            self.client_partition_id
            and self.tenant_id
            and self.client_partition.tenant_id != self.tenant_id
        ):
            raise ValidationError(
                {
                    "client_partition": _(
                        "Choose a client partition of this service's tenant."
                    )
                },
                code="other_tenant",
            )
