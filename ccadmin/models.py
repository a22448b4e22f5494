"""Tenancy: the contact centers hosted by the service provider and their people."""

import zoneinfo

import phonenumbers
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ccadmin.audit_flags import action_label
from ccadmin.normalized import NormalizedModel
from ccadmin.scoping import AuditTrailManager, MembershipQuerySet
from ccadmin.text import normalize_name


def default_phone_region() -> str:
    """A new tenant's phone region: the PHONE_DEFAULT_REGION setting ("JP")."""
    return settings.PHONE_DEFAULT_REGION


def validate_phone_region(value: str) -> None:
    """A region code libphonenumber knows ("JP", "US", "GB", ...)."""
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            _("%(value)s is not a region code such as JP or US.") % {"value": value},
            code="invalid_region",
        )


def default_time_zone() -> str:
    """A new tenant's time zone: the TIME_ZONE setting ("UTC" unless set)."""
    return settings.TIME_ZONE


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone this machine knows (zoneinfo), sorted, as choices.

    A callable, so the list is read from the system's database when a form asks
    for it, never frozen into a migration."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def validate_time_zone(value: str) -> None:
    """An IANA time zone name ("Asia/Tokyo", "UTC", "Europe/London")."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a time zone such as Asia/Tokyo or UTC.")
            % {"value": value},
            code="invalid_time_zone",
        )


class Tenant(NormalizedModel):
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

    default_phone_region = models.CharField(
        _("default phone region"),
        max_length=2,
        default=default_phone_region,
        blank=True,
        validators=[validate_phone_region],
        help_text=_(
            "The country (ISO 3166 code, e.g. JP) of phone numbers written without a "
            "country code: 090-3141-5926 is stored as +819031415926 for JP. Empty: "
            "the PHONE_DEFAULT_REGION setting."
        ),
    )

    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        # Empty: the TIME_ZONE setting (normalize), as for the phone region.
        blank=True,
        choices=time_zone_choices,
        validators=[validate_time_zone],
        help_text=_(
            "The contact center's local time: every time its people see (lists, "
            "pages, the audit trail) and every export is in this zone. Empty: the "
            "TIME_ZONE setting."
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

    def normalize(self) -> None:
        """The name NFKC-normalised and trimmed; the slug trimmed and lower-cased, as
        `--tenant` options look it up; the phone region upper-cased, the
        PHONE_DEFAULT_REGION setting when left empty; the time zone trimmed, the
        TIME_ZONE setting when left empty."""
        self.name = normalize_name(self.name or "")
        self.slug = (self.slug or "").strip().lower()
        self.default_phone_region = (
            self.default_phone_region or ""
        ).strip().upper() or default_phone_region()
        self.time_zone = (self.time_zone or "").strip() or default_time_zone()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The tenant's time zone as a tzinfo (what timezone.activate takes)."""
        return zoneinfo.ZoneInfo(self.time_zone)


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
    all_client_partitions = models.BooleanField(
        _("works for every client"),
        default=True,
        help_text=_(
            "Untick to limit this person to the clients chosen below: they then see "
            "nothing of the other clients, nor the contacts of no client."
        ),
    )
    # Named by string: the model lives in the partitions app, above this one, and
    # ccadmin imports nothing of it. The through model (partitions.ClientAssignment)
    # cascades in the database, so deleting a client removes its assignments.
    client_partitions = models.ManyToManyField(
        "partitions.ClientPartition",
        through="partitions.ClientAssignment",
        blank=True,
        related_name="members",
        verbose_name=_("clients"),
        help_text=_("The clients this person works for, when not every client."),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        # Shown as Tenancy > People: each membership is one of a tenant's people.
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"


class AuditScope(models.Model):
    """The contact center an audit trail entry belongs to.

    Django's LogEntry names an object by content type and id only; once a client
    partition is deleted nothing links its entries to a tenant any more. So every
    entry written through ccadmin.audit records its tenant here, and the admin's
    Audit trail shows a tenant's administrators their own entries, deleted clients'
    included, and nobody else's.
    """

    # Python-level CASCADE: LogEntry's own references are Python-level (fields.E323
    # forbids mixing the two in one chain); entries are deleted with their user.
    entry = models.OneToOneField(
        "admin.LogEntry",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="audit_scope",
        verbose_name=_("audit trail entry"),
    )
    # No database constraint and no cascade: the record of what was done outlives
    # even its tenant (the service provider still reads it), and one model cannot mix
    # Python- and database-level on_delete (models.E050).
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="audit_scopes",
        verbose_name=_("tenant"),
    )
    # The client the entry's object belongs to (a client partition is its own), so
    # a member who works for chosen clients reads only those clients' entries. Like
    # the tenant: no constraint, the record outlives the client. Recorded from
    # issue 12 on: older entries have none and only members of every client see them.
    client_partition = models.ForeignKey(
        "partitions.ClientPartition",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client partition"),
    )

    class Meta:
        verbose_name = _("audit scope")
        verbose_name_plural = _("audit scopes")

    def __str__(self) -> str:
        return f"{self.entry_id} @ {self.tenant_id}"


class AuditEntry(LogEntry):
    """One entry of a contact center's audit trail: who did what, when, to which
    client partition, service, contact or token (a proxy of Django's LogEntry, so the
    admin's History and the Audit trail read the same rows)."""

    objects = AuditTrailManager()

    class Meta:
        proxy = True
        ordering = ["-action_time", "-pk"]
        verbose_name = _("audit trail entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        """What the entry's page is titled: 'Exported: Acme Insurance'. (LogEntry's
        own reads "LogEntry Object" for any action but add, change and delete.)"""
        return f"{action_label(self.action_flag)}: {self.object_repr}"
