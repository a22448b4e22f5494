"""Services: the queues through which a contact center's interactions arrive, and the
gateway tokens the telephony and email gateways deliver them with."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ccadmin.keys import hash_key, new_key
from ccadmin.models import Tenant
from ccadmin.normalized import NormalizedModel
from ccadmin.same_tenant import check_same_tenant
from ccadmin.scoping import NO_CLIENT, TenantScopedQuerySet
from ccadmin.text import TypedName, normalize_name, validate_printable_name
from partitions.models import ClientPartition


class ServiceQuerySet(TenantScopedQuerySet):
    """Services: a member who works for chosen clients sees the services assigned
    to those clients only (not the unassigned ones)."""

    client_field = "client_partition"


class GatewayTokenQuerySet(TenantScopedQuerySet):
    """Gateway tokens deliver every client's interactions: they belong to no client,
    so only members of every client see them."""

    client_field = NO_CLIENT


class Service(TypedName, NormalizedModel):
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
    email_address = models.EmailField(
        _("email address"),
        blank=True,
        help_text=_(
            "For email services: the address customers write to. Incoming email "
            "sent to it arrives through this service."
        ),
    )

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="%(app_label)s_%(class)s_unique_tenant_name",
                violation_error_message=_("A service with this name already exists."),
            ),
            # Incoming email finds its service by the address it was sent to, so one
            # address names at most one service of a tenant.
            models.UniqueConstraint(
                fields=["tenant", "email_address"],
                condition=~models.Q(email_address=""),
                name="%(app_label)s_%(class)s_unique_tenant_email_address",
                violation_error_message=_(
                    "Another service already receives email at this address."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def normalize(self) -> None:
        """The name NFKC-normalised and trimmed; the email address lower-cased, as
        routing compares it with the address an email was sent to."""
        self.name = normalize_name(self.name or "")
        self.email_address = (self.email_address or "").strip().lower()

    def clean(self) -> None:
        """Require a name and keep the client partition within the tenant."""
        super().clean()  # normalize(): the name and the email address
        self.clean_name()  # unique per tenant by the constraint below
        check_same_tenant(self)


# The stored form of a gateway key: the one rule of ccadmin.keys, which personal API
# keys follow too. Kept under this name for the gateway API's lookup.
hash_gateway_key = hash_key


class GatewayToken(NormalizedModel):
    """A key a tenant's telephony or email gateway uses to deliver interactions
    through the HTTP API (`POST /api/interactions/`).

    Only a hash of the key is stored; the key itself is shown once, when the token is
    created in the admin. Deactivating a token refuses its key at once.
    """

    KEY_PREFIX_LENGTH = 8

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DB_CASCADE,
        related_name="gateway_tokens",
        verbose_name=_("tenant"),
    )
    name = models.CharField(
        _("name"),
        max_length=80,
        validators=[validate_printable_name],
        help_text=_('Which gateway uses this key, e.g. "PBX Tokyo".'),
    )
    key_prefix = models.CharField(
        _("key starts with"), max_length=KEY_PREFIX_LENGTH, editable=False
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive tokens are refused by the API."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, editable=False)

    objects = GatewayTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("gateway token")
        verbose_name_plural = _("gateway tokens")

    def __str__(self) -> str:
        return self.name

    def normalize(self) -> None:
        """The name NFKC-normalised and trimmed, like every typed name."""
        self.name = normalize_name(self.name or "")

    def set_new_key(self) -> str:
        """Give the token a fresh random key; return the key (it is not stored)."""
        key = new_key()
        self.key_prefix = key[: self.KEY_PREFIX_LENGTH]
        self.key_hash = hash_gateway_key(key)
        return key
