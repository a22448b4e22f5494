"""Tenancy: the contact centers hosted by the service provider and their people."""

import zoneinfo
from datetime import datetime, timedelta

import phonenumbers
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccadmin.audit_flags import action_label
from ccadmin.keys import hash_key, new_key
from ccadmin.normalized import NormalizedModel
from ccadmin.scoping import ApiTokenQuerySet, AuditTrailManager, MembershipQuerySet
from ccadmin.text import TypedName, normalize_name, validate_printable_name


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
    # Bumped in the same transaction as every change that may change the person's
    # permissions (their groups, their own permissions, their roles' permissions:
    # ccadmin.signals). Their permission set is cached under it (ccadmin.auth), and
    # it comes with the user at no query, so a change takes effect at the next request
    # in every process, with no shared cache to invalidate.
    roles_version = models.PositiveBigIntegerField(default=0, editable=False)

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
    # Counted as "entries" (ccadmin.counts): "audit trail" has no plural.
    count_kind = "audit_entries"

    class Meta:
        proxy = True
        ordering = ["-action_time", "-pk"]
        verbose_name = _("audit trail entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        """What the entry's page is titled: 'Exported: Acme Insurance'. (LogEntry's
        own reads "LogEntry Object" for any action but add, change and delete.)"""
        return f"{action_label(self.action_flag)}: {self.object_repr}"


class ApiToken(TypedName, NormalizedModel):
    """A person's key for the administration API (`Authorization: Bearer <key>`).

    It acts as its person: their permissions, their tenant and the clients they
    work for, nothing more. Only a hash of the key is stored; the key is shown once,
    when the token is made. A token may expire, and can be revoked at once. It works
    only while its person's account is active and still stands where it stood when
    the token was made (ApiTokenQuerySet.usable).

    Keys look like "cca_" followed by 43 URL-safe characters (256 random bits): the
    prefix lets secret scanners recognise a leaked key, and keeps them apart from
    gateway keys (services.GatewayToken), which the administration API refuses, as
    the gateway API refuses personal keys.
    """

    KEY_PREFIX = "cca_"
    # Shown in lists to recognise a key by: "cca_" and four random characters.
    KEY_PREFIX_LENGTH = 8
    # The longest lifetime a token may be given, in days (ten years): longer is a
    # typing mistake, and "never" is said by giving none.
    MAX_LIFETIME_DAYS = 3650

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    # The tenant the person worked for when the token was made (none: a superuser's,
    # the service provider's), set by clean(). Kept on the token, although the user
    # has it, for three reasons: the admin lists and scopes a tenant's tokens without
    # joining people; the audit trail records each token's tenant (ccadmin.audit),
    # so its administrators read who made and revoked their tokens; and a person
    # moved to another tenant cannot carry a key into it (usable()).
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="api_tokens",
        verbose_name=_("tenant"),
    )
    name = models.CharField(
        _("name"),
        max_length=80,
        validators=[validate_printable_name],
        help_text=_('What uses this key, e.g. "CRM sync".'),
    )
    key_prefix = models.CharField(
        _("key starts with"), max_length=KEY_PREFIX_LENGTH, editable=False
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(
        _("revoked"), null=True, blank=True, editable=False
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        permissions = [
            (
                "manage_tenant_apitoken",
                _("Can see and revoke every API token of the contact center"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def normalize(self) -> None:
        """The name NFKC-normalised and trimmed, like every typed name."""
        self.name = normalize_name(self.name or "")

    def clean(self) -> None:
        """Require a name; refuse an inactive person, one without admin access
        (not staff: an agent) and one who works for no contact center; a new
        token takes its person's tenant (none for a superuser)."""
        super().clean()
        self.clean_name()
        if self.user_id is None:
            return
        user = self.user
        if not user.is_active:
            raise ValidationError(
                {
                    "user": _(
                        "%(user)s is inactive: an inactive account gets no API token."
                    )
                    % {"user": user.get_username()}
                },
                code="inactive_user",
            )
        if not user.is_staff:
            # The API is the admin's third door: who has no admin access (an
            # agent; the admin lets in staff only, superusers included) gets no
            # key to it either.
            raise ValidationError(
                {
                    "user": _(
                        "%(user)s has no access to the administration: only its "
                        "users (staff) get API tokens."
                    )
                    % {"user": user.get_username()}
                },
                code="not_staff",
            )
        if user.is_superuser:
            tenant_id = None
        else:
            tenant_id = (
                Membership.objects.filter(user_id=user.pk)
                .values_list("tenant_id", flat=True)
                .first()
            )
            if tenant_id is None:
                raise ValidationError(
                    {
                        "user": _(
                            "%(user)s works for no contact center: only its people "
                            "(and the service provider) get API tokens."
                        )
                        % {"user": user.get_username()}
                    },
                    code="no_tenant",
                )
        if self._state.adding:
            self.tenant_id = tenant_id

    def set_lifetime(self, days: int | None) -> None:
        """Let the token expire `days` days from now (None: never). Refuses
        (ValidationError on "expires_days") less than a day, more than
        MAX_LIFETIME_DAYS, and anything but a whole number."""
        if days is None:
            self.expires_at = None
            return
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValidationError(
                {"expires_days": _("Give the days until expiry as a whole number.")},
                code="invalid",
            )
        if not 1 <= days <= self.MAX_LIFETIME_DAYS:
            raise ValidationError(
                {
                    "expires_days": _(
                        "A token expires after 1 to %(max)s days (or never); "
                        "%(days)s is not allowed."
                    )
                    % {"max": self.MAX_LIFETIME_DAYS, "days": days}
                },
                code="lifetime",
            )
        self.expires_at = timezone.now() + timedelta(days=days)

    def set_new_key(self) -> str:
        """Give the token a fresh random key; return the key (it is not stored)."""
        key = new_key(self.KEY_PREFIX)
        self.key_prefix = key[: self.KEY_PREFIX_LENGTH]
        self.key_hash = hash_key(key)
        return key

    def status(self, now: datetime | None = None) -> str:
        """Revoked, expired (at `now`, default now) or active (Status)."""
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at is not None and self.expires_at <= (now or timezone.now()):
            return self.Status.EXPIRED
        return self.Status.ACTIVE
