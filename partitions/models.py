"""Client partitions: the BPO clients a contact center (tenant) serves."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ccadmin.models import Membership, Tenant
from ccadmin.normalized import NormalizedModel
from ccadmin.scoping import CLIENT_ITSELF, NO_CLIENT, TenantScopedQuerySet
from ccadmin.text import TypedName, name_key, normalize_name, validate_printable_name
from ccadmin.times import local_iso

NAME_MAX_LENGTH = 80


class ClientPartitionQuerySet(TenantScopedQuerySet):
    """A tenant's clients: a member who works for chosen clients sees those only."""

    client_field = CLIENT_ITSELF


class ClientPartition(TypedName, NormalizedModel):
    """One BPO client of a tenant, holding that client's contacts and history.

    Contacts, companies, emails and activity history may belong to a partition; services
    are assigned to one. Deleting a partition deletes all of that client's data in the
    database (DB_CASCADE on every child) and unassigns its services.
    """

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DB_CASCADE,
        related_name="client_partitions",
        verbose_name=_("tenant"),
    )
    name = models.CharField(
        _("name"),
        max_length=NAME_MAX_LENGTH,
        validators=[validate_printable_name],
        help_text=_("The name of the BPO client."),
    )
    # Case- and width-folded copy of name: the unique key per tenant, the same on
    # SQLite and PostgreSQL (SQLite's LOWER() only folds ASCII).
    name_key = models.CharField(max_length=NAME_MAX_LENGTH * 3, editable=False)
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=4000,
        help_text=_("Detailed notes regarding the client."),
    )
    enabled = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_(
            "Enabled clients are offered in the agent desktop's drop-downs, and "
            "incoming calls and emails are assigned to them."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set while a very large deletion runs in the background (partitions.actions):
    # the partition is disabled and shown as "deleting" until it is gone.
    deletion_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    deletion_rows = models.PositiveBigIntegerField(
        null=True, blank=True, editable=False
    )
    deletion_task_id = models.CharField(max_length=64, blank=True, editable=False)
    # Offboarding (partitions.offboarding): set while the client, disabled and
    # exported, waits for its purge; cleared by a cancel. Read-only meanwhile.
    offboarding_requested_at = models.DateTimeField(
        _("offboarding requested"), null=True, blank=True, editable=False
    )
    # The username, not a foreign key: the deletion certificate copies it and must
    # outlive both the client and, possibly, the administrator's account.
    offboarding_requested_by = models.CharField(
        _("offboarding requested by"), max_length=150, blank=True, editable=False
    )
    purge_due_at = models.DateTimeField(
        _("purge on"), null=True, blank=True, editable=False
    )
    offboarding_export_name = models.CharField(
        max_length=255, blank=True, editable=False
    )
    offboarding_export_sha256 = models.CharField(
        _("export SHA-256"), max_length=64, blank=True, editable=False
    )
    # Retention (partitions.retention): the client's activity history and emails
    # older than this many days are deleted by the daily run; null keeps them.
    retention_days = models.PositiveIntegerField(
        _("retention (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Activity history and emails older than this many days are deleted "
            "every day. Leave empty to keep them forever."
        ),
    )
    # Legal hold suspends any purge and retention until an administrator lifts it.
    legal_hold = models.BooleanField(
        _("legal hold"),
        default=False,
        help_text=_(
            "While on legal hold, the client's data is never purged nor deleted by "
            "retention. An administrator must lift the hold first."
        ),
    )
    legal_hold_reason = models.TextField(
        _("legal hold reason"),
        blank=True,
        max_length=2000,
        help_text=_(
            "Why the client's data is held (shown wherever a purge is refused)."
        ),
    )

    objects = ClientPartitionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("client partition")
        verbose_name_plural = _("client partitions")
        # Retention and legal hold are the contact center's decisions (the data
        # processor's, on the controller's instructions): administrators only, never
        # a client supervisor who may change the rest of the Properties.
        permissions = [
            (
                "set_retention_clientpartition",
                _("Can set the retention and legal hold of client partitions"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name_key"],
                name="%(app_label)s_%(class)s_unique_tenant_name",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def normalize(self) -> None:
        """The name NFKC-normalised and trimmed, and its case- and width-folded key;
        the legal hold's reason trimmed."""
        self.name = normalize_name(self.name or "")
        self.name_key = name_key(self.name)
        self.legal_hold_reason = (self.legal_hold_reason or "").strip()

    def clean(self) -> None:
        """Normalise the name and refuse a second client of the same name; a legal
        hold must say why."""
        super().clean()  # normalize(): the name and its key
        self.clean_name()
        if self.legal_hold and not self.legal_hold_reason:
            raise ValidationError(
                {"legal_hold_reason": _("Say why the client's data is on legal hold.")},
                code="reason_required",
            )

    def name_taken_message(self, name: str | None = None) -> str | None:
        """Unique per tenant, ignoring case and width: "ＡＣＭＥ" is "Acme". The
        message names the existing client as it is stored ("Acme"), so the
        administrator who typed "ACME" finds it in the list."""
        existing = self.same_name() if self.tenant_id else None
        if existing is None:
            return None
        return _('A client partition named "%(name)s" already exists.') % {
            "name": existing.name
        }

    @property
    def is_deleting(self) -> bool:
        """Whether a background deletion of this client is under way."""
        return self.deletion_requested_at is not None

    @property
    def is_offboarding(self) -> bool:
        """Whether the client is offboarded and waiting for its purge: disabled,
        exported and read-only until then (partitions.offboarding)."""
        return self.offboarding_requested_at is not None

    @property
    def retention_description(self) -> str:
        """What happens to the client's history: "Legal hold: <reason>", "<N> days"
        or "Kept forever" (the admin list and the change page show it)."""
        if self.legal_hold:
            return _("Legal hold: %(reason)s") % {"reason": self.legal_hold_reason}
        if self.retention_days:
            return ngettext("%(days)s day", "%(days)s days", self.retention_days) % {
                "days": self.retention_days
            }
        return _("Kept forever")

    def validate_constraints(self, exclude=None) -> None:
        # name_key is derived from name: when name is invalid (or not being checked),
        # its key is not checked either.
        if exclude and "name" in exclude:
            exclude = {*exclude, "name_key"}
        super().validate_constraints(exclude=exclude)

    def same_name(self) -> "ClientPartition | None":
        """The tenant's other partition with this name (ignoring case and width),
        or None."""
        return (
            ClientPartition.objects.filter(
                tenant_id=self.tenant_id, name_key=name_key(self.name)
            )
            .exclude(pk=self.pk)
            .only("pk", "name")
            .first()
        )

    def name_already_used(self) -> bool:
        """Whether another partition of the tenant has this name, ignoring case."""
        return self.same_name() is not None


class ClientAssignment(models.Model):
    """That a member of a contact center works for one of its clients: the clients
    of a person whose membership is not for every client (Membership.client_partitions).
    Deleted in the database with the client or the membership."""

    membership = models.ForeignKey(
        Membership,
        on_delete=models.DB_CASCADE,
        related_name="client_assignments",
        verbose_name=_("membership"),
    )
    client_partition = models.ForeignKey(
        ClientPartition,
        on_delete=models.DB_CASCADE,
        related_name="assignments",
        verbose_name=_("client partition"),
    )

    class Meta:
        verbose_name = _("client assignment")
        verbose_name_plural = _("client assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "client_partition"],
                name="partitions_clientassignment_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership} → {self.client_partition}"

    def clean(self) -> None:
        """A person works only for clients of their own contact center."""
        super().clean()
        if (
            self.membership_id
            and self.client_partition_id
            and self.client_partition.tenant_id != self.membership.tenant_id
        ):
            raise ValidationError(
                {"client_partition": _("This client belongs to another tenant.")},
                code="other_tenant",
            )


class DeletionCertificateQuerySet(TenantScopedQuerySet):
    """A tenant's deletion certificates. The client they certify is gone, so they
    narrow to no client: a member who works for chosen clients sees none."""

    client_field = NO_CLIENT


class DeletionCertificate(models.Model):
    """The record that a BPO client's data was deleted, which outlives the client:
    what GDPR Art. 28(3)(g) and Clause 10 of the Standard Contractual Clauses ask the
    processor to give the controller at the end of a contract.

    Written in the same transaction as every deletion of a client (partitions.deletion:
    the "x", a background deletion, a purge after offboarding). It names the client
    by id and name, not by a foreign key (the client is gone), and holds counts only:
    no contact's, email's or activity's data. Deleted only with its tenant.
    """

    KIND_DELETE = "delete"
    KIND_PURGE = "purge"
    KIND_CHOICES = [
        (KIND_DELETE, _("deleted by an administrator")),
        (KIND_PURGE, _("purged after offboarding")),
    ]

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DB_CASCADE,
        related_name="deletion_certificates",
        verbose_name=_("tenant"),
    )
    client_partition_id = models.BigIntegerField(_("client partition id"))
    client_partition_name = models.CharField(
        _("client partition"), max_length=NAME_MAX_LENGTH
    )
    kind = models.CharField(_("kind"), max_length=16, choices=KIND_CHOICES)
    requested_by = models.CharField(_("requested by"), max_length=150)
    requested_at = models.DateTimeField(_("requested at"))
    deleted_at = models.DateTimeField(_("purge ran at"))
    # {"contacts": 3, "companies": 1, "emails": 2, "activities": 5, "services": 1}
    counts = models.JSONField(_("counts deleted"), default=dict)
    export_sha256 = models.CharField(_("export SHA-256"), max_length=64, blank=True)
    # The audit trail entry of the deletion (not a foreign key: entries are
    # Django's LogEntry, and the link is only for finding one from the other).
    audit_entry_id = models.BigIntegerField(null=True, blank=True)

    objects = DeletionCertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-deleted_at", "-pk"]
        verbose_name = _("deletion certificate")
        verbose_name_plural = _("deletion certificates")

    def __str__(self) -> str:
        return _("Deletion certificate %(number)s: %(name)s") % {
            "number": self.pk,
            "name": self.client_partition_name,
        }

    def as_dict(self) -> dict:
        """The certificate as its JSON download and `partitions certificate` give it."""
        return {
            "format": "ccadmin-deletion-certificate",
            "version": 1,
            "certificate": self.pk,
            "tenant": {"slug": self.tenant.slug, "name": self.tenant.name},
            "client_partition": {
                "id": self.client_partition_id,
                "name": self.client_partition_name,
            },
            "kind": self.kind,
            "requested_by": self.requested_by,
            # In the tenant's own zone, with its offset (ccadmin.times.local_iso).
            "requested_at": local_iso(self.requested_at, self.tenant.time_zone),
            "deleted_at": local_iso(self.deleted_at, self.tenant.time_zone),
            "counts": self.counts,
            "export_sha256": self.export_sha256 or None,
        }
