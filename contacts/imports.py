"""Import of contacts from a CSV file into a tenant, optionally into one BPO client.

The one path for `manage.py import_contacts` and the admin's "Import contacts" page.

Columns are found by their header (first name, last name, email, phone, company,
title; case, spaces, "_" and "-" do not matter). A header naming anything else is
refused before any row is read, listing the unknown columns. The id columns that
`partitions export` writes into contacts.csv are accepted and ignored, so a client's
export imports as it is into another tenant.

Each row is checked by the model's own rules (Contact.full_clean, Company.full_clean)
in the given tenant and partition; a bad row is reported with its line number and the
reason and is not imported. Companies are found by name in the same partition, or
created there.

What is kept is always said exactly (issue 11): the whole import is one transaction,
and the good rows are kept only when every refused row can be listed in the report,
at most MAX_REPORTED_ERRORS of them; the kept rows are then exactly the others. With
more refused rows, or with `atomic` and any, nothing is imported, and the report
shows the first MAX_REPORTED_ERRORS with "and M more". Either way one audit entry
records what the import did, the refused lines included.

Written by hand with the csv module rather than with django-import-export: that
library reads the whole file into a tablib Dataset in memory and validates through
its own Resource/widget layer, while a client's list can hold millions of rows; here
the file is read as a stream and inserted in batches with bulk_create, so memory stays
flat, and each row is checked (and normalised) by the models' own clean() as every
other path does. The rows are written by contacts.actions, the one writer of contacts.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ccadmin import writes
from ccadmin.counts import count_of, refused_rows
from ccadmin.csvsafe import unescape_cell
from ccadmin.import_report import (
    MAX_REPORTED_ERRORS,
    ImportReport,
    RowError,
    normalize_header,
)
from ccadmin.models import Tenant
from ccadmin.tenancy import chosen_clients
from ccadmin.text import name_key, normalize_name
from contacts import actions
from contacts.models import Company, Contact
from partitions.locks import share_client_partitions
from partitions.models import ClientPartition

# Header name (normalised) -> Contact field. "company" is looked up or created.
COLUMNS: dict[str, str] = {
    "first name": "first_name",
    "last name": "last_name",
    "email": "email",
    "phone": "phone",
    "company": "company",
    "title": "title",
}
# Written by `partitions export` beside the contact's data; meaningless in another
# database, so accepted and ignored.
IGNORED_COLUMNS = frozenset({"id", "company id", "created at"})
BATCH_SIZE = 1000
DEFAULT_ENCODING = "utf-8-sig"


class ContactImportError(Exception):
    """The file cannot be imported at all (empty, unknown columns, not text)."""


def _check_partition_writable(partition: ClientPartition | None) -> None:
    """Refuse an import into a client whose data may not be written now (one being
    offboarded: ccadmin.writes.check_client_writable), under a share lock on its row
    held until the import commits, so the client cannot be offboarded (and exported)
    while contacts are being added to it (ccadmin/locks.py, lock 3)."""
    if partition is None:
        return
    share_client_partitions([partition.pk])
    try:
        writes.check_client_writable(partition)
    except ValidationError as exc:
        raise ContactImportError(" ".join(exc.messages)) from exc


@dataclass
class ImportResult(ImportReport):
    """What an import did: contacts and companies created, rows refused."""

    imported: int = 0
    companies_created: int = 0

    def done(self) -> str:
        """What the kept import made."""
        return _("Imported %(imported)s (%(companies)s created); %(refused)s.") % {
            "imported": count_of("contacts", self.imported),
            "companies": count_of("companies", self.companies_created),
            "refused": refused_rows(self.refused),
        }

    def audit_message(self, source: str) -> str:
        """The audit entry's text: the summary, and which lines were refused."""
        return self.with_refused_lines(
            _("Imported contacts%(source)s: %(summary)s")
            % {"source": f" ({source})" if source else "", "summary": self.describe()}
        )


class _RollBack(Exception):
    """Raised inside the all-or-nothing transaction to undo it."""


def import_contacts(
    stream: IO[bytes],
    *,
    tenant: Tenant,
    partition: ClientPartition | None,
    actor,
    atomic: bool = False,
    encoding: str = DEFAULT_ENCODING,
    source: str = "",
    on_error: Callable[[RowError], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Import the contacts of a CSV file (bytes) into `tenant` and `partition`.

    Raises ContactImportError, importing nothing, when the file is empty, has unknown
    columns or is not text in `encoding`. Bad rows are reported through `on_error`
    and counted; `on_progress` receives the number of bytes read so far after each
    batch. One audit entry records the import on the partition (or the tenant).
    A member who works for chosen clients (`actor`, ccadmin.tenancy.client_scope)
    imports into one of those clients only (ContactImportError otherwise).
    """
    if partition is not None and partition.tenant_id != tenant.pk:
        raise ContactImportError(_("The client partition belongs to another tenant."))
    clients = chosen_clients(actor)
    if clients is not None and (partition is None or partition.pk not in clients):
        # A member of chosen clients imports into one of them only: another client
        # is as if it did not exist, and contacts of no client are not theirs.
        raise ContactImportError(_("Choose one of the clients you work for."))
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ContactImportError(
            _('Unknown encoding "%(encoding)s".') % {"encoding": encoding}
        ) from exc
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text)
    result = ImportResult(atomic=atomic)
    importer = _Importer(tenant, partition, result, on_error)
    try:
        columns = _read_header(reader)
        # One transaction, so that an import whose refused rows cannot all be listed
        # keeps nothing (ImportResult.kept_nothing) rather than an unknown part.
        try:
            with transaction.atomic():
                _check_partition_writable(partition)
                for batch in _batches(reader, columns, importer, batch_size):
                    if not result.kept_nothing:  # else only count what is refused
                        importer.save(batch)
                    _report(on_progress, stream)
                if result.kept_nothing:
                    raise _RollBack
        except _RollBack:
            result.imported = result.companies_created = 0
    except UnicodeDecodeError as exc:
        raise ContactImportError(
            _(
                "The file is not %(encoding)s text: save it as UTF-8 CSV, or give "
                "its encoding (for example cp932 for Shift_JIS)."
            )
            % {"encoding": "UTF-8" if encoding == DEFAULT_ENCODING else encoding}
        ) from exc
    except csv.Error as exc:
        raise ContactImportError(
            _("The file is not valid CSV (line %(line)s): %(reason)s")
            % {"line": reader.line_num, "reason": exc}
        ) from exc
    finally:
        # The caller owns the underlying file: do not let the wrapper close it.
        text.detach()
    if result.rows:
        # Kept or not, the import is recorded, with the lines it refused.
        actions.log_contact_import(
            actor, partition or tenant, result.audit_message(source)
        )
    return result


def _report(on_progress, stream) -> None:
    if on_progress is not None:
        try:
            on_progress(stream.tell())
        except (OSError, ValueError):
            pass


def _read_header(reader) -> list[str | None]:
    """The field each column fills (None: ignored), or ContactImportError."""
    header = next(reader, None)
    while header is not None and not any(cell.strip() for cell in header):
        header = next(reader, None)
    if header is None:
        raise ContactImportError(
            _("The file is empty: the first line must name the columns (%(cols)s).")
            % {"cols": ", ".join(COLUMNS)}
        )
    names = [normalize_header(cell) for cell in header]
    unknown = [
        cell.strip() or _("(empty)")
        for cell, name in zip(header, names, strict=True)
        if name not in COLUMNS and name not in IGNORED_COLUMNS
    ]
    if unknown:
        raise ContactImportError(
            _("Unknown columns: %(unknown)s. The columns are: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(COLUMNS)}
        )
    repeated = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    if repeated:
        raise ContactImportError(
            _("Columns given twice: %(cols)s.") % {"cols": ", ".join(repeated)}
        )
    if not any(name in COLUMNS for name in names):
        raise ContactImportError(
            _("No contact column in the header; the columns are: %(known)s.")
            % {"known": ", ".join(COLUMNS)}
        )
    return [COLUMNS.get(name) for name in names]


def _batches(reader, columns, importer: _Importer, size: int) -> Iterator[list]:
    """Valid (contact, company name) pairs, `size` at a time; bad rows go to the
    importer's error list as they are met."""
    batch: list[tuple[Contact, str]] = []
    width = len(columns)
    while True:
        line = reader.line_num + 1  # the line the next record starts on
        try:
            row = next(reader)
        except StopIteration:
            break
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not rows
        importer.result.rows += 1
        if len(row) > width:
            importer.refuse(
                line,
                # More values than columns: at least two values, so only the
                # header's count of columns needs a plural.
                ngettext(
                    "%(count)s values, but the header names %(width)s column.",
                    "%(count)s values, but the header names %(width)s columns.",
                    width,
                )
                % {"count": len(row), "width": width},
            )
            continue
        if any("\x00" in cell for cell in row):
            # Not storable in PostgreSQL (it refused the whole batch's COPY); the
            # forms refuse it the same way (found by tests/test_fuzz_input.py).
            importer.refuse(line, _("Null characters are not allowed."))
            continue
        # A cell the export protected from spreadsheets ("'=1") is read back as
        # the value it stood for (ccadmin.csvsafe), so an export imports exactly.
        values = {
            column: unescape_cell(cell).strip()
            for column, cell in zip(columns, row, strict=False)
            if column is not None
        }
        built = importer.build(line, values)
        if built is not None:
            batch.append(built)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Importer:
    """Checks rows with the models' rules and saves them in batches."""

    def __init__(self, tenant, partition, result: ImportResult, on_error) -> None:
        self.tenant = tenant
        self.partition = partition
        self.result = result
        self.on_error = on_error
        # The partition's companies by name key. Bounded by the number of companies,
        # not of contacts; loaded once, so each row costs no query.
        self.companies: dict[str, Company] = {
            name_key(company.name): company
            for company in Company.objects.filter(
                tenant=tenant, partition=partition
            ).order_by("pk")
        }
        self.new_companies: dict[str, Company] = {}

    def refuse(self, line: int, reason: str) -> None:
        error = RowError(line, reason)
        self.result.refused += 1
        if len(self.result.errors) < MAX_REPORTED_ERRORS:
            self.result.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def build(self, line: int, values: dict[str, str]):
        company_name = normalize_name(values.pop("company", ""))
        contact = Contact(
            tenant_id=self.tenant.pk,
            partition_id=self.partition.pk if self.partition else None,
            **values,
        )
        # The related objects are known: cache them on the row directly (the model's
        # rules read them) rather than through the descriptors, a third of the time
        # of building a row in the import benchmark.
        _TENANT.set_cached_value(contact, self.tenant)
        _PARTITION.set_cached_value(contact, self.partition)
        try:
            company = self._company(company_name) if company_name else None
            contact.company = company
            # The tenant, partition and company are set here, from this tenant: no
            # need for a query per row to check that they exist. Contacts have no
            # unique constraint to check either.
            contact.full_clean(
                exclude=["tenant", "partition", "company"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            self.refuse(line, _describe(exc, Contact))
            return None
        return contact

    def _company(self, name: str) -> Company:
        key = name_key(name)
        company = self.companies.get(key) or self.new_companies.get(key)
        if company is None:
            company = Company(tenant=self.tenant, partition=self.partition, name=name)
            try:
                company.full_clean(exclude=["tenant", "partition"])
            except ValidationError as exc:
                raise ValidationError(
                    {"company": _describe(exc, Company)}, code="company"
                ) from exc
            self.new_companies[key] = company
        return company

    def save(self, batch: list[Contact]) -> None:
        """Insert the batch's new companies, then its contacts, through
        contacts.actions (two bulk inserts)."""
        # Only companies a good row refers to: a bad row's company is not created.
        fresh = {
            id(contact.company): contact.company
            for contact in batch
            if contact.company is not None and contact.company.pk is None
        }
        actions.insert_imported_contacts(batch, list(fresh.values()))
        if fresh:
            self.result.companies_created += len(fresh)
            for company in fresh.values():
                key = name_key(company.name)
                self.companies[key] = self.new_companies.pop(key)
        self.result.imported += len(batch)


_TENANT = Contact._meta.get_field("tenant")
_PARTITION = Contact._meta.get_field("partition")


def _describe(exc: ValidationError, model) -> str:
    """A row's validation errors as one line: "Email: Enter a valid email address."."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        messages = " ".join(errors)
        if name == "__all__":
            parts.append(messages)
            continue
        try:
            label = str(model._meta.get_field(name).verbose_name).capitalize()
        except Exception:
            label = name
        parts.append(f"{label}: {messages}")
    return " ".join(parts)
