"""`manage.py import_people --tenant T --user U FILE`: onboard a team from a CSV file.

The same import as the People list's "Import people" page (ccadmin.people_import).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ccadmin.cli import ContactCenterCommand, actor_from_option, tenant_from_option
from ccadmin.people_import import PeopleImportError, import_people


class Command(ContactCenterCommand):
    """Import people from a CSV file, reporting bad rows by line number."""

    help = _(
        "Import people into a tenant from a CSV file with a header naming its "
        "columns: username, first name, last name, email, role, clients. Bad rows "
        "are reported by line number and skipped, up to 100 (with more, or with "
        "--atomic and any, nothing is imported). The people get no password: make "
        "their set-password links from the People list."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.csv", type=Path)
        parser.add_argument(
            "--tenant", required=True, help=_("The tenant's slug or name.")
        )
        parser.add_argument(
            "--user",
            required=True,
            help=_(
                "Who imports: an administrator of the tenant (or a superuser), "
                "recorded in the audit trail."
            ),
        )
        parser.add_argument(
            "--atomic",
            action="store_true",
            help=_("All or nothing: import no row if any row is bad."),
        )

    def handle(self, *args, file: Path, **options):
        tenant = tenant_from_option(options["tenant"])
        # The People screen's "Add" asks the same permission.
        actor = actor_from_option(options["user"], tenant, "ccadmin.add_membership")
        try:
            handle = file.open("rb")
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s")
                % {"path": file, "reason": exc.strerror or exc}
            ) from exc
        with handle:
            try:
                result = import_people(
                    handle,
                    tenant=tenant,
                    actor=actor,
                    atomic=options["atomic"],
                    source=file.name,
                )
            except (PeopleImportError, PermissionDenied) as exc:
                raise CommandError(str(exc)) from exc
        for error in result.errors:
            self.stderr.write(str(error))
        if result.refused:
            raise CommandError(result.describe())
        self.say(result.describe(), options["verbosity"], self.style.SUCCESS)
