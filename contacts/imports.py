"""Import of contacts from a client's contact list (CSV or Excel) into a tenant,
optionally into one BPO client.

The one path for `manage.py import_contacts` and the admin's "Import contacts" page
(whose mapping page reads the header with `open_table` and `suggest_mapping`, and
previews rows with `import_contacts(..., preview=N)`: the same code as the import).

Columns are found by their header in one table (contacts.import_headers: the usual
headers of Salesforce, HubSpot, Zendesk, Japanese lists and our own export), which a
`mapping` overrides or extends. A column neither recognised nor mapped is refused
before any row is read, listing the unknown columns, unless `ignore_unknown` skips
them (the summary names them): a typo must not silently drop a column of data. A
single "name" column is split like routing splits a sender's display name
(contacts.actions.split_display_name: "山田 太郎" is family name first).

Each row is checked by the model's own rules (Contact.full_clean, Company.full_clean)
in the given tenant and partition; a bad row is reported with its line number and the
reason and is not imported. Companies are found by name in the same partition, or
created there.

Re-importing a corrected file does not copy its rows again: within the client (or
among contacts of no client), a row that is a stored contact updates that contact
with the row's non-empty values. "The same contact", for a re-import and for repeats
within one file: the same email address, or without one the same phone or mobile
(stored forms: Contact.normalize), and names that do not conflict
(Contact.names_conflict: both first names, or both last names, given and different).
Rows sharing a key with conflicting names are different people (a company's
switchboard, an info@ mailbox) and are created, so an export imports back exactly and
a re-import never renames another person. Contacts are looked up per batch (one
query on the batch's addresses and numbers), so memory does not grow with the table.
The same contact twice in one file is refused on its second line ("same contact as
line N").

What is kept is always said exactly (issue 11): the whole import is one transaction,
and the good rows are kept only when every refused row can be listed in the report,
at most MAX_REPORTED_ERRORS of them; the kept rows are then exactly the others. With
more refused rows, or with `atomic` and any, nothing is imported, and the report
shows the first MAX_REPORTED_ERRORS with "and M more". Either way one audit entry
records what the import did, the refused lines included. A dry run (and a preview)
reads and checks everything the same way and writes nothing, not even the audit
entry: nothing happened to the client's data.

Written by hand with the csv module and openpyxl's streaming reader rather than with
django-import-export: that library reads the whole file into a tablib Dataset in
memory and validates through its own Resource/widget layer, while a client's list can
hold millions of rows; here the file is read as a stream and written in batches
(COPY on PostgreSQL), so memory stays flat, and each row is checked (and normalised)
by the models' own clean() as every other path does (bench/RESULTS.md, issue 16).
The rows are written by contacts.actions, the one writer of contacts.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ccadmin import writes
from ccadmin.counts import count_of, refused_rows
from ccadmin.import_report import MAX_REPORTED_ERRORS, ImportReport, RowError
from ccadmin.models import Tenant
from ccadmin.tenancy import chosen_clients
from ccadmin.text import name_key, normalize_name
from contacts import actions
from contacts.import_headers import FIELDS, IGNORE, header_key, recognised_field
from contacts.import_tables import (
    DEFAULT_ENCODING,
    ContactImportError,
    Table,
    open_table,
)
from contacts.models import Company, Contact
from partitions.locks import share_client_partitions
from partitions.models import ClientPartition

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_ENCODING",
    "FIELDS",
    "ContactImportError",
    "ImportResult",
    "PreviewRow",
    "RowError",
    "Table",
    "columns_for",
    "import_contacts",
    "open_table",
    "suggest_mapping",
]

BATCH_SIZE = 1000
# The contact fields a row fills, in the order a preview shows them.
STORED_FIELDS = Contact.DETAIL_FIELDS


def suggest_mapping(headers: Sequence[str]) -> list[str | None]:
    """The field (a key of FIELDS) each column fills by its header, from the one
    table of recognised headers; None for an unknown header."""
    return [recognised_field(header) for header in headers]


def columns_for(
    headers: Sequence[str],
    mapping: Sequence[str | None] | Mapping[str, str] | None = None,
    *,
    ignore_unknown: bool = False,
) -> tuple[list[str | None], list[str]]:
    """The field each column fills (None: skipped) and the unknown headers skipped.

    `mapping` is either a field (or None) per column, as the admin's mapping page
    sends it, or a dict header -> field (`--map "Header=field"`) that overrides or
    extends the recognised headers. Fields are keys of FIELDS ("ignore" skips a
    column). Raises ContactImportError for a field that does not exist, a mapped
    header the file does not have, a column neither recognised nor mapped (unless
    `ignore_unknown`), a field filled by two columns, or no contact column at all.
    """
    fields = suggest_mapping(headers)
    if isinstance(mapping, Mapping):
        by_key = {header_key(header): index for index, header in enumerate(headers)}
        for header, name in mapping.items():
            if header_key(header) not in by_key:
                raise ContactImportError(
                    _('No column is named "%(header)s"; the columns are: %(all)s.')
                    % {"header": header, "all": ", ".join(headers)}
                )
            fields[by_key[header_key(header)]] = _field(name, header)
    elif mapping is not None:
        if len(mapping) != len(headers):
            raise ContactImportError(
                _("The mapping names %(given)s columns; the file has %(count)s.")
                % {"given": len(mapping), "count": len(headers)}
            )
        fields = [
            _field(name, header) if name else None
            for name, header in zip(mapping, headers, strict=True)
        ]
    unknown = [
        header.strip() or _("(empty)")
        for header, name in zip(headers, fields, strict=True)
        if name is None
    ]
    if unknown and not ignore_unknown:
        raise ContactImportError(
            _(
                "Unknown columns: %(unknown)s. Map each to a field (%(fields)s) or "
                "ignore unknown columns."
            )
            % {"unknown": ", ".join(unknown), "fields": ", ".join(FIELDS)}
        )
    repeated = [name for name in FIELDS if name != IGNORE and fields.count(name) > 1]
    if repeated:
        raise ContactImportError(
            _("Columns given twice: %(cols)s.")
            % {
                "cols": "; ".join(
                    f"{name} ("
                    + ", ".join(
                        h for h, f in zip(headers, fields, strict=True) if f == name
                    )
                    + ")"
                    for name in repeated
                )
            }
        )
    columns = [None if name == IGNORE else name for name in fields]
    if not any(columns):
        raise ContactImportError(
            _("No contact column in the header; the fields are: %(fields)s.")
            % {"fields": ", ".join(FIELDS)}
        )
    return columns, unknown


def _field(name: str, header: str) -> str:
    """A mapped field name, checked."""
    name = (name or "").strip()
    if name not in FIELDS:
        raise ContactImportError(
            _(
                'Unknown field "%(field)s" for column "%(header)s"; the fields are: '
                "%(fields)s."
            )
            % {"field": name, "header": header, "fields": ", ".join(FIELDS)}
        )
    return name


def _check_partition_writable(
    partition: ClientPartition | None, *, lock: bool = True
) -> None:
    """Refuse an import into a client whose data may not be written now (one being
    offboarded: ccadmin.writes.check_client_writable), under a share lock on its row
    held until the import commits, so the client cannot be offboarded (and exported)
    while contacts are being added to it (ccadmin/locks.py, lock 3). A dry run
    checks without the lock: it writes nothing, so it need not hold off an
    offboarding, and it says what the import would answer."""
    if partition is None:
        return
    if lock:
        share_client_partitions([partition.pk])
    try:
        writes.check_client_writable(partition)
    except ValidationError as exc:
        raise ContactImportError(" ".join(exc.messages)) from exc


@dataclass
class PreviewRow:
    """One row of a preview, as the import would store it: `values` maps each
    contact field (STORED_FIELDS) to its stored form (an E.164 phone, the company's
    name), `errors` says why the row would be refused (empty: it would be kept),
    `action` is "create", "update" or "" (refused)."""

    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    action: str = ""


@dataclass
class ImportResult(ImportReport):
    """What an import did (or, in a dry run, would do): contacts created and
    updated, companies created, rows refused, unknown columns skipped."""

    imported: int = 0
    updated: int = 0
    companies_created: int = 0
    dry_run: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    preview_rows: list[PreviewRow] = field(default_factory=list)

    @property
    def created(self) -> int:
        """Contacts created (the same as `imported`)."""
        return self.imported

    def done(self) -> str:
        """What the kept import made."""
        counts = {
            "imported": count_of("contacts", self.imported),
            "updated": count_of("contacts", self.updated),
            "companies": count_of("companies", self.companies_created),
            "refused": refused_rows(self.refused),
        }
        if self.dry_run:
            summary = (
                _(
                    "Dry run, nothing written: %(imported)s would be created, "
                    "%(updated)s updated (%(companies)s created); %(refused)s."
                )
                % counts
            )
        else:
            summary = (
                _(
                    "Imported %(imported)s, updated %(updated)s (%(companies)s "
                    "created); %(refused)s."
                )
                % counts
            )
        if self.ignored_columns:
            summary += " " + _("Ignored columns: %(columns)s.") % {
                "columns": ", ".join(self.ignored_columns)
            }
        return summary

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
    filename: str = "",
    mapping: Sequence[str | None] | Mapping[str, str] | None = None,
    ignore_unknown: bool = False,
    dry_run: bool = False,
    preview: int | None = None,
    atomic: bool = False,
    encoding: str = DEFAULT_ENCODING,
    source: str = "",
    on_error: Callable[[RowError], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Import the contacts of a contact list (CSV or .xlsx bytes: open_table, with
    `filename` and `encoding`) into `tenant` and `partition`.

    Columns are mapped by columns_for(headers, `mapping`, `ignore_unknown`).
    `dry_run` checks every row and counts what would be created, updated and
    refused, writing nothing (no audit entry either). `preview=N` is a dry run that
    also returns the first N rows as they would be stored (ImportResult.
    preview_rows), built by the same code as the import.

    Raises ContactImportError, importing nothing, when the file is empty, has unknown
    columns or cannot be read. Bad rows are reported through `on_error` and
    counted; `on_progress` receives the number of bytes read so far after each
    batch (CSV). One audit entry records a written import on the partition (or the
    tenant). A member who works for chosen clients (`actor`,
    ccadmin.tenancy.client_scope) imports into one of those clients only
    (ContactImportError otherwise).
    """
    if partition is not None and partition.tenant_id != tenant.pk:
        raise ContactImportError(_("The client partition belongs to another tenant."))
    clients = chosen_clients(actor)
    if clients is not None and (partition is None or partition.pk not in clients):
        # A member of chosen clients imports into one of them only: another client
        # is as if it did not exist, and contacts of no client are not theirs.
        raise ContactImportError(_("Choose one of the clients you work for."))
    dry_run = dry_run or preview is not None
    result = ImportResult(atomic=atomic, dry_run=dry_run)
    with open_table(stream, filename, encoding) as table:
        columns, result.ignored_columns = columns_for(
            table.headers, mapping, ignore_unknown=ignore_unknown
        )
        importer = _Importer(
            tenant, partition, result, on_error, write=not dry_run, preview=preview
        )
        # One transaction, so that an import whose refused rows cannot all be listed
        # keeps nothing (ImportResult.kept_nothing) rather than an unknown part.
        try:
            with transaction.atomic():
                _check_partition_writable(partition, lock=not dry_run)
                for batch in _batches(table, columns, importer, batch_size):
                    if not result.kept_nothing:  # else only count what is refused
                        importer.save(batch)
                    if on_progress is not None and table.position() is not None:
                        on_progress(table.position())
                if result.kept_nothing:
                    raise _RollBack
        except _RollBack:
            result.imported = result.updated = result.companies_created = 0
    if result.rows and not dry_run:
        # Kept or not, the import is recorded, with the lines it refused.
        actions.log_contact_import(
            actor, partition or tenant, result.audit_message(source or filename)
        )
    return result


def _batches(
    table: Table, columns: list[str | None], importer: _Importer, size: int
) -> Iterator[list[tuple[int, Contact]]]:
    """Valid (line, contact) pairs, `size` at a time; bad rows go to the importer's
    error list as they are met."""
    batch: list[tuple[int, Contact]] = []
    width = len(columns)
    for line, row in table:
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
                row=dict(zip(columns, row, strict=False)),
            )
            continue
        values = {
            column: cell.strip()
            for column, cell in zip(columns, row, strict=False)
            if column is not None
        }
        if any("\x00" in cell for cell in values.values()):
            # Not storable in PostgreSQL (it refused the whole batch's COPY); the
            # forms refuse it the same way (found by tests/test_fuzz_input.py).
            importer.refuse(line, _("Null characters are not allowed."), row=values)
            continue
        contact = importer.build(line, values)
        if contact is not None:
            batch.append((line, contact))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Importer:
    """Checks rows with the models' rules, matches them with stored contacts and
    saves them in batches."""

    def __init__(
        self,
        tenant,
        partition,
        result: ImportResult,
        on_error,
        *,
        write: bool = True,
        preview: int | None = None,
    ) -> None:
        self.tenant = tenant
        self.partition = partition
        self.result = result
        self.on_error = on_error
        self.write = write
        self.preview = preview or 0
        # The partition's companies by name key. Bounded by the number of companies,
        # not of contacts; loaded once, so each row costs no query.
        self.companies: dict[str, Company] = {
            name_key(company.name): company
            for company in Company.objects.filter(
                tenant=tenant, partition=partition
            ).order_by("pk")
        }
        self.new_companies: dict[str, Company] = {}
        # The people met in the file (("e", address) or ("p", number), n) -> first
        # line and names, to refuse a contact's second row (_person_line); stored
        # contacts updated (pk) -> line.
        self.seen = _FirstLines()
        self.updated_lines = _FirstLines()
        # Their names once updated (by pk), for a later row.
        self.updated_names = _FirstLines()
        # Preview rows of contacts still to be matched, by id(contact).
        self.previewed: dict[int, PreviewRow] = {}

    def refuse(self, line: int, reason: str, row: dict | None = None) -> None:
        error = RowError(line, reason)
        self.result.refused += 1
        if len(self.result.errors) < MAX_REPORTED_ERRORS:
            self.result.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)
        if row is not None and self._previewing():
            self.result.preview_rows.append(
                PreviewRow(line, _preview_values(row), [reason])
            )

    def _previewing(self) -> bool:
        return len(self.result.preview_rows) < self.preview

    def build(self, line: int, values: dict[str, str]) -> Contact | None:
        """The row's contact, checked and normalised by the model's rules, or None
        (refused, reported)."""
        values = dict(values)
        company_name = normalize_name(values.pop("company", ""))
        name = values.pop("name", "")
        if name and not (values.get("first_name") or values.get("last_name")):
            # One rule with routing for a whole name: "山田 太郎", "Ben Smith".
            values["first_name"], values["last_name"] = actions.split_display_name(name)
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
        error = None
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
            error = _describe(exc, Contact)
        else:
            error = self._repeated(line, contact)
        if self._previewing():
            row = PreviewRow(
                line, _stored_values(contact, company_name), [error] if error else []
            )
            self.result.preview_rows.append(row)
            if error is None:
                self.previewed[id(contact)] = row
        if error is not None:
            self.refuse(line, error)
            return None
        return contact

    def _repeated(self, line: int, contact: Contact) -> str | None:
        """Why the row is refused as a contact met earlier in the file, or None;
        remembers it. The same contact (Contact.names_conflict): the same email
        address, or without one the same phone or mobile, and names that do not
        conflict; a row sharing a switchboard or a mailbox with another person is
        that other person."""
        numbers = [("p", n) for n in (contact.phone, contact.mobile) if n]
        keys = [("e", contact.email)] if contact.email else numbers
        names = _names_digest(contact)
        found = [
            first
            for key in keys
            if (first := _person_line(self.seen, key, names)) is not None
        ]
        if found:
            return _("Same contact as line %(line)s.") % {"line": min(found)}
        for key in [("e", contact.email)] if contact.email else []:
            _remember_person(self.seen, key, names, line)
        for key in numbers:
            _remember_person(self.seen, key, names, line)
        return None

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

    def _person(
        self, contact: Contact, candidates: list[Contact]
    ) -> tuple[Contact | None, int | None]:
        """The stored contact that is the row's person, lowest id first: the same
        key (the candidates) and names that do not conflict. (contact, None) to
        update it; (None, line) when the file's earlier `line` updated it already
        (a repeat); (None, None) for a new contact.

        A stored contact an earlier row updated is judged by its names after that
        update, as a written import reads them back from the database, and as a
        dry run (which writes nothing) knows them from updated_names."""
        names = _names_digest(contact)
        for candidate in sorted(candidates, key=lambda c: c.pk):
            first = self.updated_lines.get(candidate.pk)
            if first is None:
                if not candidate.names_conflict(contact):
                    return candidate, None
            elif _person_line(self.updated_names, candidate.pk, names) is not None:
                return None, first
        return None, None

    def _stored(self, batch: list[tuple[int, Contact]]) -> tuple[dict, dict]:
        """The client's stored contacts the batch's rows name, in one query: by
        address, and by phone or mobile (lists, lowest id first).

        Not routing's lookup (contacts.actions._stored_contacts) although the key is
        the same: routing has a caller's address or number and no name, so it takes
        the lowest id among placeholders too and across partitions, while an import
        has names and must not rename another person sharing the key (placeholders
        stand for nobody here). One selector for both would change routing's
        answers or carry both shapes: left apart on purpose."""
        emails = {contact.email for _line, contact in batch if contact.email}
        numbers = {
            number
            for _line, contact in batch
            if not contact.email
            for number in (contact.phone, contact.mobile)
            if number
        }
        by_email: dict[str, list[Contact]] = {}
        by_number: dict[str, list[Contact]] = {}
        if not emails and not numbers:
            return by_email, by_number
        # Each condition is served by the (tenant, partition, email|phone|mobile)
        # indexes; placeholders ("Withheld number") stand for nobody.
        stored = (
            Contact.objects.filter(
                Q(email__in=emails) | Q(phone__in=numbers) | Q(mobile__in=numbers),
                tenant=self.tenant,
                partition=self.partition,
                placeholder="",
            )
            .select_related("company")
            .order_by("pk")
        )
        for contact in stored:
            # Known already: no query per contact when its phone is normalised.
            _TENANT.set_cached_value(contact, self.tenant)
            _PARTITION.set_cached_value(contact, self.partition)
            if contact.email in emails:
                by_email.setdefault(contact.email, []).append(contact)
            for number in {contact.phone, contact.mobile}:
                if number in numbers:
                    by_number.setdefault(number, []).append(contact)
        return by_email, by_number

    def save(self, batch: list[tuple[int, Contact]]) -> None:
        """Match the batch's rows with stored contacts, then write (or, in a dry
        run, count) its new companies, new contacts and updated contacts through
        contacts.actions (a few queries per batch)."""
        by_email, by_number = self._stored(batch)
        created: list[Contact] = []
        updated: list[Contact] = []
        for line, contact in batch:
            if contact.email:
                candidates = by_email.get(contact.email, [])
            else:
                candidates = [
                    *by_number.get(contact.phone, []),
                    *by_number.get(contact.mobile, []),
                ]
            stored, first = self._person(contact, candidates)
            row = self.previewed.pop(id(contact), None)
            if first is not None:
                # Two rows of the file (a different address and number) are one
                # stored contact: the second is refused like a repeated row.
                reason = _("Same contact as line %(line)s.") % {"line": first}
                self.refuse(line, reason)
                if row is not None:
                    row.errors.append(reason)
                continue
            if stored is None:
                created.append(contact)
                if row is not None:
                    row.action = "create"
                continue
            self.updated_lines.add(stored.pk, line)
            _take_row(stored, contact)
            _remember_person(self.updated_names, stored.pk, _names_digest(stored), line)
            updated.append(stored)
            if row is not None:
                row.action = "update"
        # Only companies a kept row refers to: a bad row's company is not created.
        fresh = {
            id(contact.company): contact.company
            for contact in [*created, *updated]
            if contact.company is not None and contact.company.pk is None
        }
        if self.write:
            actions.save_imported_contacts(created, updated, list(fresh.values()))
        self.result.companies_created += len(fresh)
        for company in fresh.values():
            key = name_key(company.name)
            self.companies[key] = self.new_companies.pop(key)
        self.result.imported += len(created)
        self.result.updated += len(updated)


class _FirstLines:
    """The line each key (an address, a number, a contact's id) was first met on,
    with a digest of that row's names (_names_digest), in about 20 bytes a key (an
    8-byte hash, a 4-byte line, an 8-byte digest): a file of millions of rows must
    not need a dict of millions of strings (about 130 bytes a key) to find its
    repeated contacts.

    Keys are kept as their 64-bit hash in a sorted array, with the lines and digests
    in parallel ones; the keys added last wait in a small dict and are merged in by
    slices (C speed), so adding stays cheap. Two different keys with the same hash
    (about 3 chances in 10^8 for a file of a million keys) would report a false
    repeat; the administrator sees both lines in the report and can tell.
    """

    MERGE_AT = 4096

    def __init__(self) -> None:
        self.recent: dict[int, tuple[int, int]] = {}
        self.hashes = array("q")
        self.lines = array("I")
        self.names = array("Q")

    def find(self, key: Hashable) -> tuple[int, int] | None:
        """(the line `key` was first met on, its names digest), or None."""
        digest = hash(key)
        found = self.recent.get(digest)
        if found is not None:
            return found
        index = bisect_left(self.hashes, digest)
        if index < len(self.hashes) and self.hashes[index] == digest:
            return self.lines[index], self.names[index]
        return None

    def get(self, key: Hashable) -> int | None:
        """The line `key` was first met on, or None."""
        found = self.find(key)
        return None if found is None else found[0]

    def add(self, key: Hashable, line: int, names: int = 0) -> None:
        """Remember `line` (and a names digest) for `key` unless it was met before."""
        if self.find(key) is not None:
            return
        self.recent[hash(key)] = (line, names)
        if len(self.recent) >= self.MERGE_AT:
            self._merge()

    def _merge(self) -> None:
        # In place, from the back: the arrays grow by the recent keys' count and each
        # old slice moves right by the number of recent keys below it. Building new
        # arrays beside the old ones (as before) held two copies of the structure at
        # the merge, the import's peak memory (issue 16, bench/RESULTS.md).
        recent = sorted(self.recent.items())
        end = len(self.hashes)
        for column in (self.hashes, self.lines, self.names):
            column.extend(array(column.typecode, [0]) * len(recent))
        for count in range(len(recent), 0, -1):
            digest, (line, name) = recent[count - 1]
            # Recent keys are not in the arrays (add() checked): left or right is one.
            start = bisect_left(self.hashes, digest, 0, end)
            for column in (self.hashes, self.lines, self.names):
                column[start + count : end + count] = column[start:end]
            self.hashes[start + count - 1] = digest
            self.lines[start + count - 1] = line
            self.names[start + count - 1] = name
            end = start
        self.recent = {}


# The names of a row, compactly, for Contact.names_conflict's rule on rows that are
# no longer in memory: a 32-bit hash of each name's key (name_key: normalised,
# case-folded), 0 for an empty name, the first name in the high half. Two different
# names with the same hash (1 chance in 4 billion) would be taken as one person.
_HALF = 0xFFFFFFFF


def _names_digest(contact: Contact) -> int:
    """The contact's first and last names as one 64-bit digest."""
    halves = [
        (hash(name_key(name)) & _HALF) or 1 if name else 0
        for name in (contact.first_name, contact.last_name)
    ]
    return halves[0] << 32 | halves[1]


def _names_conflict(one: int, other: int) -> bool:
    """Contact.names_conflict on two names digests."""
    for shift in (32, 0):
        mine, theirs = (one >> shift) & _HALF, (other >> shift) & _HALF
        if mine and theirs and mine != theirs:
            return True
    return False


def _person_line(lines: _FirstLines, key: Hashable, names: int) -> int | None:
    """The first line of a person remembered under `key` whose names do not conflict
    with `names`, or None. The people of one key (Aiko and Ben at a switchboard) are
    remembered as (key, 0), (key, 1), ...: almost always only the first."""
    number = 0
    while (found := lines.find((key, number))) is not None:
        if not _names_conflict(found[1], names):
            return found[0]
        number += 1
    return None


def _remember_person(lines: _FirstLines, key: Hashable, names: int, line: int) -> None:
    """Remember the row's person under `key`, unless a person already there has no
    conflicting names (the row is that person, as far as a later row can tell)."""
    number = 0
    while (found := lines.find((key, number))) is not None:
        if not _names_conflict(found[1], names):
            return
        number += 1
    lines.add((key, number), line, names)


def _take_row(stored: Contact, row: Contact) -> None:
    """Give a stored contact the row's non-empty values (an empty cell keeps what
    is stored: a corrected file need not repeat every column)."""
    for name in STORED_FIELDS:
        if name == "company":
            if row.company is not None:
                stored.company = row.company
        elif getattr(row, name):
            setattr(stored, name, getattr(row, name))


def _stored_values(contact: Contact, company_name: str) -> dict[str, str]:
    """A built row's values as they would be stored (normalised by full_clean)."""
    values = {
        name: getattr(contact, name) or ""
        for name in STORED_FIELDS
        if name != "company"
    }
    values["company"] = company_name
    return {name: values[name] for name in STORED_FIELDS}


def _preview_values(row: dict) -> dict[str, str]:
    """A refused row's cells by field, as read (it could not be built)."""
    return {name: str(row.get(name) or "") for name in STORED_FIELDS}


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
