"""Tenancy: the contact centers hosted by the service provider and their people."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tenant(models.Model):
    """One contact center hosted by the service provider.

    A BPO contact center serves several clients; each client is a client partition of
    its tenant. Everything a tenant's administrators and agents see belongs to it.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    client_partition_limit = models.PositiveIntegerField(
        _("client partition limit"),
        null=True,
        blank=True,
        help_text=_(
            "How many client partitions this tenant may have. "
            "Empty: the CLIENT_PARTITION_LIMIT setting applies."
        ),
    )

    # Bumped in the same transaction as every change to the tenant's client
    # partitions (partitions.actions): cached lists are keyed by it, so no process
    # ever serves a stale drop-down, with no shared cache to invalidate.
    partitions_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """The tenant a user works for: an administrator or agent of that contact center.

    Every user but a superuser has exactly one; superusers are the service provider and
    see all tenants.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="membership",
        verbose_name=_("user"),
    )
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DB_CASCADE,
        related_name="memberships",
        verbose_name=_("tenant"),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"
