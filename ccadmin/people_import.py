"""Import of people from a CSV file into a tenant: a BPO onboards a team at once.

The one path for `manage.py import_people` and the People list's "Import people" page.

Columns are found by their header: username, first name, last name, email, role,
clients (case, spaces, "_" and "-" do not matter); username and role are required.
Role: agent, client supervisor or administrator (the group names and the Japanese
labels are accepted too). Clients: the tenant's client names separated by ";" or
"|", or "*" for every client; without a clients column everyone works for every
client. People imported have no usable password yet: each gets a set-password link
(shown once on the import page, or made later from the People list).

Each row is checked by the same rules as the People screen (ccadmin.people); a bad
row is reported with its line number and the reason. As in the contacts importer,
the good rows are kept only when every refused row can be listed (at most
MAX_REPORTED_ERRORS), and with `atomic` none is kept if any is refused. The rows are
added set-based by ccadmin.actions.add_people (a fixed number of queries for 200
people or 2,000) in one transaction with the import's audit entry.

Hand-written with the csv module for the same reasons as contacts.imports: the rows
are checked by the project's own rules, not a library's resource layer.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ccadmin import actions, people
from ccadmin.counts import count_of, refused_rows
from ccadmin.import_report import (
    MAX_REPORTED_ERRORS,
    ImportReport,
    RowError,
    normalize_header,
)
from ccadmin.models import Membership, Tenant
from ccadmin.roles import ROLES
from ccadmin.text import name_key

COLUMNS = {
    "username": "username",
    "first name": "first_name",
    "last name": "last_name",
    "email": "email",
    "role": "role",
    "clients": "clients",
}
REQUIRED = ("username", "role")
EVERY_CLIENT = "*"
CLIENT_SEPARATORS = re.compile(r"[;|]")
# The people of one import are held in memory to be added set-based: far more than a
# contact center onboards at once, and bounded.
MAX_ROWS = 10_000


class PeopleImportError(Exception):
    """The file cannot be imported at all (empty, unknown columns, not UTF-8)."""


@dataclass
class ImportResult(ImportReport):
    """What an import did: the people added, the rows refused."""

    added: list[Membership] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.added)

    def done(self) -> str:
        """What the kept import made."""
        return _("Imported %(imported)s; %(refused)s.") % {
            "imported": count_of("people", self.imported),
            "refused": refused_rows(self.refused),
        }

    def audit_message(self, source: str) -> str:
        """The audit entry's text: the summary, and which lines were refused."""
        return self.with_refused_lines(
            _("Imported people%(source)s: %(summary)s")
            % {"source": f" ({source})" if source else "", "summary": self.describe()}
        )


def role_names() -> dict[str, str]:
    """Every way a file may name a role -> the role: the group name, the People
    screen's label in each language, and the short words."""
    names = {
        "agent": ROLES[0],
        "supervisor": ROLES[1],
        "client supervisor": ROLES[1],
        "administrator": ROLES[2],
        "admin": ROLES[2],
    }
    for role in ROLES:
        names[normalize_header(role)] = role
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names[normalize_header(people.role_label(role))] = role
    return names


def _read_header(reader) -> list[str | None]:
    header = next(reader, None)
    while header is not None and not any(cell.strip() for cell in header):
        header = next(reader, None)
    known = ", ".join(COLUMNS)
    if header is None:
        raise PeopleImportError(
            _("The file is empty: the first line must name the columns (%(cols)s).")
            % {"cols": known}
        )
    names = [normalize_header(cell) for cell in header]
    unknown = [
        cell.strip() or _("(empty)")
        for cell, name in zip(header, names, strict=True)
        if name not in COLUMNS
    ]
    if unknown:
        raise PeopleImportError(
            _("Unknown columns: %(unknown)s. The columns are: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": known}
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise PeopleImportError(
            _("Columns given twice: %(cols)s.") % {"cols": ", ".join(repeated)}
        )
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise PeopleImportError(
            _("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}
        )
    return [COLUMNS[name] for name in names]


class _Rows:
    """Turns the file's rows into people to add, refusing what cannot be one."""

    def __init__(self, tenant: Tenant, result: ImportResult, actor) -> None:
        self.result = result
        self.actor = actor
        self.roles = role_names()
        # The clients the actor sees (visible_to: a client they do not work for is
        # "no client" here, as if it did not exist), by name key, loaded once.
        clients = people.client_model().objects.filter(tenant=tenant)
        if actor is not None:
            clients = clients.visible_to(actor)
        self.clients = {name_key(client.name): client for client in clients}
        self.tenant_id = tenant.pk

    def refuse(self, line: int, reason: str) -> None:
        self.result.refused += 1
        if len(self.result.errors) < MAX_REPORTED_ERRORS:
            self.result.errors.append(RowError(line, reason))

    def person(self, values: dict[str, str], has_clients: bool):
        """The person a row describes, or the reason it describes none (str)."""
        role = self.roles.get(normalize_header(values.get("role", "")))
        if role is None:
            return _(
                'Role: "%(role)s" is not a role (agent, client supervisor or '
                "administrator)."
            ) % {"role": values.get("role", "")}
        clients = None
        if has_clients:
            cell = values.get("clients", "")
            if cell == EVERY_CLIENT:
                clients = None
            elif not cell:
                return _(
                    'Clients: give the client names separated by ";" or "|", or * '
                    "for every client."
                )
            else:
                clients = []
                for name in filter(None, map(str.strip, CLIENT_SEPARATORS.split(cell))):
                    client = self.clients.get(name_key(name))
                    if client is None:
                        return _('Clients: there is no client "%(name)s".') % {
                            "name": name
                        }
                    clients.append(client)
        try:
            # An actor who works for some clients only gives only those.
            people.check_clients(self.tenant_id, clients, self.actor)
        except ValidationError as exc:
            return people.describe_error(exc)
        return people.NewPerson(
            username=values.get("username", ""),
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
            email=values.get("email", ""),
            role=role,
            clients=clients,
        )


def import_people(
    stream: IO[bytes],
    *,
    tenant: Tenant,
    actor,
    atomic: bool = False,
    source: str = "",
) -> ImportResult:
    """Import the people of a CSV file (UTF-8 bytes) into `tenant`, as `actor`.

    Raises PeopleImportError, importing nothing, when the file is empty, has unknown
    or missing columns, too many rows, or is not UTF-8 text; PermissionDenied when
    the actor may not manage the tenant's people. One audit entry records the import.
    """
    people.check_actor(actor, tenant.pk)
    result = ImportResult(atomic=atomic)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    rows = _Rows(tenant, result, actor)
    candidates: list[tuple[int, people.NewPerson]] = []
    try:
        columns = _read_header(reader)
        while True:
            line = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(cell.strip() for cell in row):
                continue
            result.rows += 1
            if result.rows > MAX_ROWS:
                raise PeopleImportError(
                    _("The file has more than %(max)s people: split it.")
                    % {"max": f"{MAX_ROWS:,}"}
                )
            if len(row) > len(columns) or any("\x00" in cell for cell in row):
                rows.refuse(
                    line, _("The row has more values than the header, or a NUL.")
                )
                continue
            values = {
                column: cell.strip() for column, cell in zip(columns, row, strict=False)
            }
            person = rows.person(values, "clients" in columns)
            if isinstance(person, str):
                rows.refuse(line, person)
            else:
                candidates.append((line, person))
    except UnicodeDecodeError as exc:
        raise PeopleImportError(
            _("The file is not UTF-8 text: save it as UTF-8 CSV.")
        ) from exc
    except csv.Error as exc:
        raise PeopleImportError(
            _("The file is not valid CSV (line %(line)s): %(reason)s")
            % {"line": reader.line_num, "reason": exc}
        ) from exc
    finally:
        text.detach()  # the caller owns the file
    refused = people.validate_new_people(tenant, [p for _line, p in candidates])
    for index, exc in sorted(refused.items()):
        rows.refuse(candidates[index][0], people.describe_error(exc))
    result.errors.sort(key=lambda error: error.line)
    good = [p for index, (_line, p) in enumerate(candidates) if index not in refused]
    try:
        with transaction.atomic():
            if good and not result.kept_nothing:
                result.added = actions.add_people(tenant, good, actor=actor)
            if result.rows:
                actions.log_people_import(
                    tenant, result.audit_message(source), actor=actor
                )
    except ValidationError as exc:
        # Something changed since the rows were checked (a username taken
        # meanwhile): nothing was added; said in one line, never a 500.
        raise PeopleImportError(people.describe_error(exc)) from exc
    return result
