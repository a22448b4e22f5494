"""A data subject's requests: finding everything a contact center holds about one
person (GDPR Art. 15 and 20, access and portability) and the zip it hands them.

A person is named by an email address or a phone number. Their records are every
contact of the tenant, in every client and in none, whose stored address or number is
that identifier in stored form (Contact.normalize, with the tenant's phone region:
"Taro@Example.COM" and "090-1111-2222" find "taro@example.com" and "+819011112222"),
with those contacts' emails (and the original messages) and activity history.

The erasure (Art. 17) is a write: contacts.actions.erase_data_subject. Both it and
the export refuse while a client involved is on legal hold (`legal_hold_refusal`),
and when the person acting works for chosen clients only and the subject also has
records elsewhere (`scope_refusal`): an answer to a data subject must be complete,
and a client supervisor may not learn what other clients hold.

The command (`manage.py data_subject`) and the contact's admin pages both call these
functions.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ccadmin import audit
from ccadmin.models import Tenant
from ccadmin.tenancy import chosen_clients
from contacts.models import Activity, Contact, Email, EmailSource, ErasureCertificate
from contacts.partition_data import EXPORTS

# A client's export's cell and zip-entry rules, not copies of them (the helpers are
# private to partitions.export, which has no public name for them yet).
from partitions.export import CSV_ENCODING
from partitions.export import _cell as csv_cell
from partitions.export import _entry as zip_entry
from partitions.models import ClientPartition

EXPORT_FORMAT = "ccadmin-data-subject-export"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
# Original messages read per round trip: a message may be megabytes.
SOURCE_CHUNK_SIZE = 50


class DataSubjectRefused(Exception):
    """A data subject's request that may not be carried out (legal hold, a client
    the person acting does not work for), with the reason in words."""


@dataclass(frozen=True)
class Subject:
    """A data subject of a tenant, named by one identifier in stored form."""

    tenant: Tenant
    kind: str  # ErasureCertificate.Kind
    identifier: str

    def contacts(self) -> QuerySet[Contact]:
        """Every contact of the tenant with this identifier, in every client and in
        none: an exact match on the stored form, per client partition of the
        tenant and for no client, each served by the (tenant, partition,
        email|phone|mobile) index."""
        if self.kind == ErasureCertificate.Kind.EMAIL:
            match = Q(email=self.identifier)
        else:
            # A person's number may be a contact's phone or its mobile.
            match = Q(phone=self.identifier) | Q(mobile=self.identifier)
        partitions = list(
            ClientPartition.objects.filter(tenant=self.tenant).values_list(
                "pk", flat=True
            )
        )
        where = Q(partition__isnull=True) | Q(partition__in=partitions)
        return Contact.objects.filter(where, match, tenant=self.tenant).order_by("pk")

    def describe_kind(self) -> str:
        """ "email address" or "phone number", for messages (never the value)."""
        return str(ErasureCertificate.Kind(self.kind).label).lower()


def subject_of(tenant: Tenant, *, email: str = "", phone: str = "") -> Subject:
    """The subject named by `email` or `phone` (exactly one), in stored form.

    Raises ValidationError for none or both, an empty value, an address that is not
    one, or a phone that is not a phone number (for the tenant's region).
    """
    email, phone = (email or "").strip(), (phone or "").strip()
    if bool(email) == bool(phone):
        raise ValidationError(
            _("Name the person by an email address or a phone number (one of them).")
        )
    # The model's own rule for the stored form: one rule, whoever stored the contact.
    probe = Contact(tenant=tenant, email=email, phone=phone)
    probe.normalize()
    if email:
        try:
            validate_email(probe.email)
        except ValidationError:
            raise ValidationError(
                _('"%(value)s" is not an email address.') % {"value": email}
            ) from None
        return Subject(tenant, ErasureCertificate.Kind.EMAIL, probe.email)
    problems = probe.unstorable_values()
    if problems:
        raise ValidationError(problems["phone"])
    return Subject(tenant, ErasureCertificate.Kind.PHONE, probe.phone)


@dataclass(frozen=True)
class SubjectRecords:
    """What a contact center holds of a subject: the ids of their contacts, emails,
    activity entries, and how many original messages and clients."""

    contact_ids: list[int]
    email_ids: list[int]
    activity_ids: list[int]
    email_sources: int
    partition_ids: list[int]
    has_no_client: bool

    @property
    def counts(self) -> dict[str, int]:
        """Rows per kind, as the manifest and the certificate name them."""
        return {
            "contacts": len(self.contact_ids),
            "emails": len(self.email_ids),
            "email_sources": self.email_sources,
            "activities": len(self.activity_ids),
        }

    def describe(self) -> str:
        """The counts in one sentence, for confirmations and the audit trail."""
        return describe_counts(self.counts)


def describe_counts(counts: dict[str, int]) -> str:
    """Rows per kind (contacts, emails, email_sources, activities) in one
    sentence: "2 contacts, 3 emails (1 original messages), 5 activity entries"."""
    return _(
        "%(contacts)s contacts, %(emails)s emails (%(email_sources)s original "
        "messages), %(activities)s activity entries"
    ) % {key: f"{value:,}" for key, value in counts.items()}


def records_of(subject: Subject, *, for_update: bool = False) -> SubjectRecords:
    """The subject's records, read by key: their contacts, the emails of those
    contacts, and the activity entries of those contacts or emails. With
    `for_update`, the contacts are locked (the erasure, inside its transaction)."""
    contacts = subject.contacts()
    if for_update:
        contacts = contacts.select_for_update()
    rows = list(contacts.values_list("pk", "partition_id"))
    contact_ids = [pk for pk, _partition in rows]
    email_ids = list(
        Email.objects.filter(contact_id__in=contact_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    activity_ids = list(
        Activity.objects.filter(
            Q(contact_id__in=contact_ids) | Q(email_id__in=email_ids)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    partitions = {partition for _pk, partition in rows}
    return SubjectRecords(
        contact_ids=contact_ids,
        email_ids=email_ids,
        activity_ids=activity_ids,
        email_sources=EmailSource.objects.filter(email_id__in=email_ids).count(),
        partition_ids=sorted(p for p in partitions if p is not None),
        has_no_client=None in partitions,
    )


# ----- refusals -------------------------------------------------------------------


def on_legal_hold(partition: ClientPartition) -> bool:
    """Whether a client's data is under legal hold, so that none of it may be
    exported for or erased at a data subject's request while it lasts.

    THE one place that reads it (ClientPartition.legal_hold, the lifecycle's).
    """
    return partition.legal_hold


def legal_hold_refusal(records: SubjectRecords) -> str | None:
    """Why the subject's request is refused because of a legal hold, or None."""
    held = [
        p
        for p in ClientPartition.objects.filter(pk__in=records.partition_ids)
        if on_legal_hold(p)
    ]
    if not held:
        return None
    return _(
        "Refused: the client %(names)s is on legal hold, so this person's records "
        "there may be neither exported nor erased until the hold is lifted."
    ) % {"names": ", ".join(f'"{p.name}"' for p in held)}


def scope_refusal(records: SubjectRecords, actor) -> str | None:
    """Why `actor`, who works for chosen clients only, may not act for this subject
    (they also have records in other clients, or in none), or None.

    Decided: refuse rather than export or erase a part. A partial answer to a data
    subject would be wrong, and the refusal does not say which clients, so it
    reveals nothing a client supervisor may not see.
    """
    clients = chosen_clients(actor)
    if clients is None:
        return None
    if records.has_no_client or not set(records.partition_ids) <= clients:
        return _(
            "Refused: this person also has records outside the clients you work "
            "for. Ask an administrator who works for every client."
        )
    return None


def offboarding_refusal(records: SubjectRecords) -> str | None:
    """Why the subject's records may not be erased now because a client involved is
    being offboarded, or None: such a client is read-only until its purge, and its
    kept export would still hold the person (the purge deletes both)."""
    offboarding = [
        p
        for p in ClientPartition.objects.filter(pk__in=records.partition_ids)
        if p.is_offboarding
    ]
    if not offboarding:
        return None
    return _(
        "Refused: the client %(names)s is being offboarded, so this person's records "
        "there are read-only until its purge on %(date)s deletes them, or until the "
        "offboarding is cancelled."
    ) % {
        "names": ", ".join(f'"{p.name}"' for p in offboarding),
        "date": min(p.purge_due_at for p in offboarding).date().isoformat(),
    }


def check_request(records: SubjectRecords, actor) -> None:
    """Raise DataSubjectRefused if the request may not be carried out for `actor`."""
    reason = scope_refusal(records, actor) or legal_hold_refusal(records)
    if reason:
        raise DataSubjectRefused(reason)


# ----- export ---------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectManifest:
    """What a subject's export holds: whose tenant, when, by whom, how many rows."""

    tenant_slug: str
    identifier_kind: str
    exported_at: datetime
    exported_by: str
    counts: dict[str, int]
    partition_ids: list[int]

    def as_dict(self) -> dict:
        """The manifest as written to manifest.json."""
        return {
            "format": EXPORT_FORMAT,
            "version": FORMAT_VERSION,
            "tenant": self.tenant_slug,
            "identified_by": self.identifier_kind,
            "exported_at": self.exported_at.isoformat(),
            "exported_by": self.exported_by,
            "encoding": "UTF-8 with BOM, RFC 4180 CSV; JSON in UTF-8",
            "files": {key: [f"{name}.csv", f"{name}.json"] for key, name in _TABLES},
            "folders": {"email_sources": "emails/"},
            "client_partition_ids": self.partition_ids,
            "counts": self.counts,
        }


# (key, file stem) of each table, with the columns of a client's export
# (contacts.partition_data) plus the client, which a subject's export spans.
_TABLES = (("contacts", "contacts"), ("emails", "emails"), ("activities", "activities"))
_EXPORTS = {key: export for _model, key, export in EXPORTS}
_MODELS = {"contacts": Contact, "emails": Email, "activities": Activity}


def export_subject(subject: Subject, fileobj: IO[bytes], *, actor) -> SubjectManifest:
    """Write the subject's records as a zip into `fileobj`: contacts, emails and
    activity history each as CSV (spreadsheet-safe cells, ccadmin.csvsafe) and as
    JSON, each email's original message as emails/<id>.eml, and manifest.json; then
    audit the export, without the identifier. Raises DataSubjectRefused."""
    records = records_of(subject)
    check_request(records, actor)
    ids = {
        "contacts": records.contact_ids,
        "emails": records.email_ids,
        "activities": records.activity_ids,
    }
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, stem in _TABLES:
            export = _EXPORTS[key]
            rows = list(
                _MODELS[key]
                .objects.filter(pk__in=ids[key])
                .order_by("pk")
                .values_list("partition__name", *export.fields)
            )
            header = ["client partition", *export.header]
            _write_csv(archive, f"{stem}.csv", header, rows)
            _write_json(archive, f"{stem}.json", header, rows)
        sources = (
            EmailSource.objects.filter(email_id__in=records.email_ids)
            .order_by("pk")
            .iterator(chunk_size=SOURCE_CHUNK_SIZE)
        )
        for source in sources:
            archive.writestr(zip_entry(f"emails/{source.email_id}.eml"), source.raw())
        manifest = SubjectManifest(
            tenant_slug=subject.tenant.slug,
            identifier_kind=subject.kind,
            exported_at=timezone.now(),
            exported_by=actor.get_username() if actor else "",
            counts=records.counts,
            partition_ids=records.partition_ids,
        )
        archive.writestr(
            zip_entry(MANIFEST_NAME),
            json.dumps(manifest.as_dict(), ensure_ascii=False, indent=2),
        )
    audit.log_event(
        actor,
        subject.tenant,
        _("Exported a data subject's data (found by %(kind)s): %(counts)s")
        % {"kind": subject.describe_kind(), "counts": records.describe()},
    )
    return manifest


def export_subject_to_path(subject: Subject, path: Path, *, actor) -> SubjectManifest:
    """Export into the file at `path`, which appears only once complete (written
    beside it under a temporary name, then renamed), as a client's export does."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            manifest = export_subject(subject, out, actor=actor)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return manifest


def export_filename(when: datetime | None = None) -> str:
    """The file name offered for a subject's export (no name or address in it: file
    names end up in download folders and logs)."""
    when = timezone.localtime(when or timezone.now())
    return f"data-subject-{when:%Y%m%d-%H%M%S}.zip"


def _write_csv(archive, name: str, header: list[str], rows: list[tuple]) -> None:
    with (
        archive.open(zip_entry(name), "w") as raw,
        io.TextIOWrapper(raw, encoding=CSV_ENCODING, newline="") as text,
    ):
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])


def _write_json(archive, name: str, header: list[str], rows: list[tuple]) -> None:
    records = [
        {column: _json_value(value) for column, value in zip(header, row, strict=True)}
        for row in rows
    ]
    archive.writestr(zip_entry(name), json.dumps(records, ensure_ascii=False, indent=2))


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value
