"""`manage.py import_contacts`: load a client's contact list (CSV or Excel .xlsx)
into a tenant or a client.

The same import as the admin's "Import contacts" page (contacts.imports).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from ccadmin.cli import ContactCenterCommand, actor_from_option, tenant_from_option
from contacts.imports import (
    DEFAULT_ENCODING,
    FIELDS,
    ContactImportError,
    RowError,
    import_contacts,
)
from partitions.cli import partition_from_option


class Command(ContactCenterCommand):
    """Import contacts from a CSV file or Excel workbook, reporting bad rows by line
    number."""

    help = _(
        "Import contacts from a CSV file or an Excel workbook (.xlsx) whose first "
        "line names its columns. The usual headers of Salesforce, HubSpot, Zendesk "
        "and Japanese lists are recognised; map others with --map. A contact already "
        "stored (same email, or without one the same phone) is updated. Bad rows are "
        "reported by line number and skipped, up to 100 (with more, or with --atomic "
        "and any, nothing is imported)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", type=Path)
        parser.add_argument(
            "--tenant", required=True, help=_("The tenant's slug or name.")
        )
        parser.add_argument(
            "--partition",
            metavar="NAME",
            help=_("The client partition to import into (default: no client)."),
        )
        parser.add_argument(
            "--atomic",
            action="store_true",
            help=_("All or nothing: import no row if any row is bad."),
        )
        parser.add_argument(
            "--encoding",
            default=DEFAULT_ENCODING,
            help=_("The file's encoding (default UTF-8; cp932 for Shift_JIS)."),
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar='"Header=field"',
            help=_(
                "The field a column fills, overriding the recognised headers; may be "
                "repeated. Fields: %(fields)s."
            )
            % {"fields": ", ".join(FIELDS)},
        )
        parser.add_argument(
            "--ignore-unknown",
            action="store_true",
            help=_("Skip the columns that are neither recognised nor mapped."),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Check every row and report what would be done; write nothing."),
        )
        parser.add_argument(
            "--user",
            help=_("Record the import under this user (default: the system account)."),
        )

    def handle(self, *args, file: Path, **options):
        verbosity = options["verbosity"]
        tenant = tenant_from_option(options["tenant"])
        # The admin's "Import contacts" page asks the same permission.
        actor = actor_from_option(options["user"], tenant, "contacts.add_contact")
        partition = None
        if options["partition"]:
            partition = partition_from_option(
                tenant,
                options["partition"],
                user=actor if options["user"] else None,
            )
        mapping = self._mapping(options["map"])
        try:
            handle = file.open("rb")
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s")
                % {"path": file, "reason": exc.strerror or exc}
            ) from exc
        bar = tqdm(
            total=os.fstat(handle.fileno()).st_size,
            unit="B",
            unit_scale=True,
            desc=_("Importing"),
            file=sys.stderr,
            # Only for a person watching: never in a script's log, nor with -v 0.
            disable=verbosity < 1 or not sys.stderr.isatty(),
            leave=False,
        )

        def report(error: RowError) -> None:
            bar.clear()
            self.stderr.write(str(error))

        def progress(position: int) -> None:
            bar.update(position - bar.n)

        with handle, bar:
            try:
                result = import_contacts(
                    handle,
                    tenant=tenant,
                    partition=partition,
                    actor=actor,
                    atomic=options["atomic"],
                    encoding=options["encoding"],
                    filename=file.name,
                    mapping=mapping,
                    ignore_unknown=options["ignore_unknown"],
                    dry_run=options["dry_run"],
                    on_error=report,
                    on_progress=progress,
                )
            except ContactImportError as exc:
                raise CommandError(str(exc)) from exc
        if result.refused:
            # Bad rows make the exit status non-zero, so a script notices them.
            raise CommandError(result.describe())
        self.say(result.describe(), verbosity, self.style.SUCCESS)

    @staticmethod
    def _mapping(pairs: list[str]) -> dict[str, str]:
        """The --map options as header -> field (checked by the import)."""
        mapping = {}
        for pair in pairs:
            header, sep, field = pair.rpartition("=")
            if not sep or not header.strip() or not field.strip():
                raise CommandError(
                    _('--map takes "Header=field", not "%(value)s".') % {"value": pair}
                )
            mapping[header.strip()] = field.strip()
        return mapping
