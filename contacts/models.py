"""Contacts, companies, emails and activity history of a contact center's clients.

Each row belongs to a tenant and, optionally, to one of its client partitions (BPO
clients); a row with no partition belongs to no client. Deleting a partition deletes its
rows of all four models inside the database (DB_CASCADE).
"""

import re
import zlib
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccadmin.models import Tenant
from ccadmin.normalized import NormalizedModel
from ccadmin.same_tenant import check_same_tenant
from ccadmin.scoping import TenantScopedQuerySet
from ccadmin.text import TypedName, name_key, normalize_name, validate_printable_name
from ccadmin.times import DisplayableDateTimeField, displayable
from contacts.phones import normalize_phone
from partitions.models import ClientPartition
from services.models import Service


def partition_field(related_name: str) -> models.ForeignKey:
    """The optional link of a record to its client partition, deleted with it."""
    return models.ForeignKey(
        ClientPartition,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=_("client partition"),
        help_text=_("The BPO client this belongs to; empty for none."),
    )


def is_cjk(char: str) -> bool:
    """Whether a character is Japanese (or Chinese) script: hiragana, katakana, CJK
    ideographs or half-width katakana."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF or 0xFF66 <= code <= 0xFF9F
    )


def normalize_address(value: str) -> str:
    """An email address as stored and matched: trimmed and lower-cased (routing finds
    a sender by address whatever case it was typed in)."""
    return (value or "").strip().lower()


# Characters of a display name that RFC 5322 allows only inside quotes.
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


def normalize_mailbox(value: str) -> str:
    """A sender as stored: "Name <address>" or a bare address, the address
    lower-cased; anything that is not an address is only trimmed."""
    value = (value or "").strip()
    name, address = parseaddr(value)
    if not address or "@" not in address:
        return value
    return format_mailbox(name, address)


def format_mailbox(name: str, address: str) -> str:
    """A sender as stored, from its display name and address: "Name <address>",
    the name quoted when it holds a comma or another special ("Müller, Zoë" unquoted
    would read back as two addresses: RFC 5322 3.4), the address lower-cased."""
    name = " ".join((name or "").split())
    if not name:
        return address.lower()
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address.lower()}>"


def normalize_mailboxes(value: str) -> str:
    """A list of recipients as stored: each normalised, separated by ", ". Text that
    is not a list of addresses is only trimmed: nothing typed is dropped."""
    value = (value or "").strip()
    pairs = getaddresses([value]) if value else []
    if not pairs or any("@" not in address for _name, address in pairs):
        return value
    return ", ".join(
        normalize_mailbox(f"{name} <{address}>" if name else address)
        for name, address in pairs
    )


def one_line(value: str) -> str:
    """A header as stored: trimmed, runs of whitespace (folded lines) as one space."""
    return " ".join((value or "").split())


class PartitionedRecordQuerySet(TenantScopedQuerySet):
    """A client's records: a member who works for chosen clients sees those
    clients' only, and none of no client."""

    client_field = "partition"


class PartitionedRecord(NormalizedModel):
    """A record of a tenant that may belong to one of its client partitions.

    Subclasses add `partition = partition_field("<plural>")`.
    """

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DB_CASCADE,
        related_name="+",
        verbose_name=_("tenant"),
    )

    objects = PartitionedRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean(self) -> None:
        """Keep the client partition, and every other record this one points to
        (company, contact, email, service), within the record's tenant."""
        super().clean()
        check_same_tenant(self)


class Direction(models.TextChoices):
    """Whether an interaction came into the contact center or went out of it."""

    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Company(TypedName, PartitionedRecord):
    """A company that contacts work for, kept per client partition."""

    partition = partition_field("companies")
    name = models.CharField(
        _("name"), max_length=200, validators=[validate_printable_name]
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        # The admin's first page of a tenant's list, in list order, from the index.
        indexes = [models.Index(fields=["tenant", "name", "id"])]

    def __str__(self) -> str:
        return self.name

    def normalize(self) -> None:
        """The name NFKC-normalised and trimmed (ccadmin.text.normalize_name)."""
        self.name = normalize_name(self.name or "")

    def clean(self) -> None:
        super().clean()
        self.clean_name()  # names of companies need not be unique


# The contact's numbers: each stored in E.164 (contacts.phones) and matched by routing.
PHONE_FIELDS = ("phone", "mobile")


class Contact(PartitionedRecord):
    """A person the contact center talks to on behalf of a client (or of none).

    Two kinds of contact stand for nobody known (`placeholder`): the "Withheld number"
    of a client, which every call without a caller ID is recorded against, and its
    "Unknown sender", for an email without a sender address. Routing creates each at
    most once per client (and once for no client).
    """

    class Placeholder(models.TextChoices):
        """Whom a placeholder contact stands for."""

        WITHHELD = "withheld", _("Withheld number")
        UNKNOWN_SENDER = "unknown_sender", _("Unknown sender")

    # A person's own details, in the order pages show them: what an import's row
    # fills, a merge chooses between and the API reads and writes (one list, so a new
    # detail such as `mobile` reaches every one of them).
    DETAIL_FIELDS = (
        "first_name",
        "last_name",
        "title",
        "company",
        "email",
        "phone",
        "mobile",
    )

    partition = partition_field("contacts")
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    company = models.ForeignKey(
        Company,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("company"),
    )
    email = models.EmailField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # A second number (a mobile beside the office line, as CRMs export them): stored
    # like `phone`, and a call from it finds the contact too.
    mobile = models.CharField(
        _("mobile"), max_length=40, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    placeholder = models.CharField(
        _("stands for"),
        max_length=20,
        choices=Placeholder.choices,
        blank=True,
        default="",
        # Rows written by raw SQL (COPY loaders, benchmarks) stand for nobody.
        db_default="",
        help_text=_(
            "Set on the contact that calls without a caller ID, or emails without a "
            "sender, are recorded against."
        ),
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            # Routing finds a sender by exact stored value, inside one client (or
            # among the tenant's contacts of none): one index probe whatever the
            # number of contacts (docs/design.md, "Finding the sender").
            models.Index(
                fields=["tenant", "partition", "email"],
                name="contacts_contact_sender_email",
            ),
            models.Index(
                fields=["tenant", "partition", "phone"],
                name="contacts_contact_sender_phone",
            ),
            models.Index(
                fields=["tenant", "partition", "mobile"],
                name="contacts_contact_sender_mobile",
            ),
            # The admin's first page of a tenant's contacts without sorting them all.
            models.Index(fields=["tenant", "last_name", "first_name", "id"]),
        ]
        constraints = [
            # One "Withheld number" and one "Unknown sender" per client. (Contacts
            # of no client have a NULL partition, which a unique key does not
            # compare: routing's advisory lock per sender keeps those to one.)
            models.UniqueConstraint(
                fields=["tenant", "partition", "placeholder"],
                condition=~models.Q(placeholder=""),
                name="contacts_contact_one_placeholder_per_client",
            )
        ]

    def __str__(self) -> str:
        if self.placeholder:
            # In the reader's language, whatever the name stored.
            return str(self.Placeholder(self.placeholder).label)
        # Japanese names are written family name first: 山田 太郎, not 太郎 山田.
        if any(is_cjk(char) for char in self.last_name):
            full = f"{self.last_name} {self.first_name}".strip()
        else:
            full = f"{self.first_name} {self.last_name}".strip()
        return (
            full
            or self.email
            or self.phone
            or self.mobile
            or str(_("(unnamed contact)"))
        )

    def normalize(self) -> None:
        """Names and title trimmed, the email address trimmed and lower-cased, the
        phone and mobile in the form routing matches callers by (contacts.phones):
        however the row is written, a call from "090-1111-2222" finds the contact
        typed so."""
        self.first_name = (self.first_name or "").strip()
        self.last_name = (self.last_name or "").strip()
        self.title = (self.title or "").strip()
        self.email = normalize_address(self.email)
        for field in PHONE_FIELDS:
            value = (getattr(self, field) or "").strip()
            if value:
                try:
                    value = normalize_phone(value, self.phone_region())
                except ValidationError:
                    pass  # left as typed: unstorable_values() names it
            setattr(self, field, value)

    def names_conflict(self, other: "Contact") -> bool:
        """Whether two records with the same address or number are different people
        by their names: both have a first name, or both a last name, and those
        differ (normalised, case-insensitively). An empty name conflicts with
        nothing. A company's switchboard shared by Aiko Tanaka and Ben Smith, or one
        info@ mailbox, is the key of several people; an import tells them apart so
        (contacts.imports), never renaming one as another."""
        for mine, theirs in (
            (self.first_name, other.first_name),
            (self.last_name, other.last_name),
        ):
            if mine and theirs and name_key(mine) != name_key(theirs):
                return True
        return False

    def phone_region(self) -> str | None:
        """The region of the contact's phone when written without a country code:
        its tenant's default_phone_region (None, for a contact with no tenant yet:
        the PHONE_DEFAULT_REGION setting)."""
        return self.tenant.default_phone_region if self.tenant_id else None

    def unstorable_values(self) -> dict[str, list[str]]:
        """A phone or mobile that is not a phone number."""
        errors = {}
        for field in PHONE_FIELDS:
            value = getattr(self, field)
            if value:
                try:
                    normalize_phone(value, self.phone_region())
                except ValidationError as exc:
                    errors[field] = exc.messages
        return errors

    def clean(self) -> None:
        super().clean()
        if self.placeholder and (self.email or self.phone or self.mobile):
            raise ValidationError(
                _(
                    "A contact standing for a withheld number or an unknown sender "
                    "has no email address or phone."
                ),
                code="placeholder_with_address",
            )
        if not (
            self.first_name or self.last_name or self.email or self.phone or self.mobile
        ):
            raise ValidationError(
                _("Give the contact at least a name, an email address or a phone.")
            )
        if self.company_id and self.company.partition_id != self.partition_id:
            raise ValidationError(
                {"company": _("Choose a company of the same client partition.")},
                code="other_partition",
            )


class Email(PartitionedRecord):
    """One email received or sent by the contact center."""

    partition = partition_field("emails")
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices
    )
    # Blank for an email that came without a sender address ("Unknown sender").
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    recipients = models.TextField(_("recipients"), blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    body = models.TextField(_("body"), blank=True)
    body_html = models.TextField(
        _("HTML body"),
        blank=True,
        db_default="",
        help_text=_("The HTML the body was read from, for an email sent as HTML."),
    )
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        db_default=[],
        blank=True,
        help_text=_(
            'Each attachment as received: {"name", "type", "size" (bytes), "kept" '
            "(whether its content is stored)}."
        ),
    )
    notes = models.TextField(
        _("intake notes"),
        blank=True,
        db_default="",
        help_text=_(
            "What could not be recorded exactly as received, one note a line (an "
            "unreadable date, a truncated subject)."
        ),
    )
    message_id = models.CharField(_("message ID"), max_length=998, blank=True)
    service = models.ForeignKey(
        Service,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("service"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("contact"),
    )
    sent_at = DisplayableDateTimeField(_("sent at"))

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [models.Index(fields=["tenant", "-sent_at", "-id"])]
        constraints = [
            # An email delivered twice (same Message-ID) is recorded once per tenant.
            models.UniqueConstraint(
                fields=["tenant", "message_id"],
                condition=~models.Q(message_id=""),
                name="%(app_label)s_%(class)s_unique_tenant_message_id",
            )
        ]

    def __str__(self) -> str:
        return self.subject or str(_("(no subject)"))

    def normalize(self) -> None:
        """Addresses lower-cased (sender and recipients), the subject and message ID
        on one trimmed line, as routing records them."""
        self.sender = normalize_mailbox(self.sender)
        self.recipients = normalize_mailboxes(self.recipients)
        self.subject = one_line(self.subject)
        self.message_id = (self.message_id or "").strip()


class EmailSource(models.Model):
    """The raw RFC 822 source of an email as it was received, compressed: the
    contact center's evidence of what a client's customer sent, for fidelity and
    legal needs. Deleted with its email (and so with its client), exported in the
    client's zip, downloadable from the email's admin page.

    Kept apart from Email so that listing emails never reads the sources.
    """

    email = models.OneToOneField(
        Email,
        on_delete=models.DB_CASCADE,
        primary_key=True,
        related_name="source",
        verbose_name=_("email"),
    )
    compressed = models.BinaryField(_("compressed source"))
    size = models.PositiveBigIntegerField(_("size in bytes"))

    class Meta:
        verbose_name = _("email source")
        verbose_name_plural = _("email sources")

    def __str__(self) -> str:
        return f"{self.email_id}.eml"

    @classmethod
    def of(cls, email: Email, raw: bytes) -> "EmailSource":
        """The source `raw` of `email`, compressed (zlib: mail is text, and shrinks
        to a third or less; the standard library's, so any tool can read it back)."""
        return cls(email=email, compressed=zlib.compress(raw, 6), size=len(raw))

    def raw(self) -> bytes:
        """The message's bytes as received."""
        return zlib.decompress(bytes(self.compressed))


class Activity(PartitionedRecord):
    """One entry of activity history: a call, chat or email handled for a contact."""

    # Counted as "entries" (ccadmin.counts): "activity history" has no plural.
    count_kind = "activities"

    class Channel(models.TextChoices):
        VOICE = "voice", _("Voice")
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Chat")
        MESSAGING = "messaging", _("Messaging")

    partition = partition_field("activities")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("service"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("contact"),
    )
    email = models.ForeignKey(
        Email,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("email"),
    )
    occurred_at = DisplayableDateTimeField(_("occurred at"))
    summary = models.CharField(_("summary"), max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity history")
        indexes = [
            models.Index(fields=["contact", "-occurred_at"]),
            # The admin's newest entries of a tenant without sorting millions.
            models.Index(fields=["tenant", "-occurred_at", "-id"]),
        ]

    def __str__(self) -> str:
        # In the reader's zone (their contact center's, ccadmin.zones), with its
        # abbreviation: "Voice 2026-12-01 09:45 JST", never UTC unlabelled.
        if self.occurred_at is None:
            return str(self.get_channel_display())
        when = timezone.localtime(displayable(self.occurred_at))
        return f"{self.get_channel_display()} {when:%Y-%m-%d %H:%M} {when.tzname()}"

    def normalize(self) -> None:
        """The summary trimmed."""
        self.summary = (self.summary or "").strip()


class ErasureCertificateQuerySet(TenantScopedQuerySet):
    """Certificates of erasure belong to the contact center, not to one client: a
    subject may have had records in several, so only members of every client see
    them."""

    client_field = None  # ccadmin.scoping.NO_CLIENT


class ErasureCertificate(models.Model):
    """The contact center's proof that a data subject's personal data was erased at
    their request (GDPR Art. 17): when, by whom, and how many contacts, emails and
    activity entries went, in which clients (by id).

    It never holds the identifier the request named (email address or phone), only
    `identifier_hash`: HMAC-SHA256 of the identifier in stored form, keyed with
    SECRET_KEY and a random salt of this certificate (django.utils.crypto.
    salted_hmac). Why both: with the salt alone, someone who reads the database
    could try every phone number of a country (about 10^10) against the hash in
    minutes; with SECRET_KEY alone, two erasures of one person would carry the same
    hash and could be linked. So whoever holds both the identifier and the
    application's key (the contact center, answering "did you erase me?") can check
    a certificate (`matches`), and nobody else learns anything from it.
    """

    class Kind(models.TextChoices):
        """What identified the subject."""

        EMAIL = "email", _("Email address")
        PHONE = "phone", _("Phone number")

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DB_CASCADE,
        related_name="+",
        verbose_name=_("tenant"),
    )
    erased_at = models.DateTimeField(_("erased at"))
    # The user's name, not a key: the certificate outlives the account.
    erased_by = models.CharField(_("erased by"), max_length=150)
    identifier_kind = models.CharField(
        _("identified by"), max_length=10, choices=Kind.choices
    )
    salt = models.CharField(_("salt"), max_length=64)
    identifier_hash = models.CharField(_("identifier hash"), max_length=64)
    contacts = models.PositiveIntegerField(_("contacts"))
    emails = models.PositiveIntegerField(_("emails"))
    email_sources = models.PositiveIntegerField(_("original messages"))
    activities = models.PositiveIntegerField(_("activity entries"))
    client_partition_ids = models.JSONField(
        _("client partitions"),
        default=list,
        help_text=_("The ids of the clients the erased records belonged to."),
    )

    objects = ErasureCertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-erased_at", "-id"]
        verbose_name = _("erasure certificate")
        verbose_name_plural = _("erasure certificates")

    def __str__(self) -> str:
        # Never the identifier, nor a name: this is what the audit trail shows.
        return _("Erasure certificate %(number)s") % {"number": self.pk or "-"}

    def counts(self) -> dict[str, int]:
        """Rows erased per kind, keyed as a subject's records count them."""
        return {
            "contacts": self.contacts,
            "emails": self.emails,
            "email_sources": self.email_sources,
            "activities": self.activities,
        }

    @staticmethod
    def hash_identifier(kind: str, identifier: str, salt: str, secret=None) -> str:
        """The keyed, salted hash of an identifier in stored form (see the class)."""
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            f"ccadmin.erasure.{salt}",
            f"{kind}:{identifier}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def matches(self, kind: str, identifier: str) -> bool:
        """Whether this certificate is about `identifier` (in stored form), checked
        with SECRET_KEY and, after a key rotation, each of SECRET_KEY_FALLBACKS."""
        from django.conf import settings
        from django.utils.crypto import constant_time_compare

        if kind != self.identifier_kind:
            return False
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
            digest = self.hash_identifier(kind, identifier, self.salt, secret)
            if constant_time_compare(digest, self.identifier_hash):
                return True
        return False
