"""`manage.py data_subject export|erase`: a data subject's requests (GDPR Art. 15,
17 and 20), for scripts and for the contact center's data protection officer.

The same functions as the contact's admin pages "Export this person's data" and
"Erase this person's data" (contacts.data_subject, contacts.actions), so the
search, the refusals, the certificate and the audit entries are the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin.cli import (
    ContactCenterCommand,
    OneLineErrorParser,
    actor_from_option,
    is_terminal,
    tenant_from_option,
    zip_output,
)
from ccadmin.counts import counts_in_words
from contacts import actions
from contacts.data_subject import (
    DataSubjectRefused,
    check_request,
    export_subject_to_path,
    records_of,
    subject_of,
)

# What `--user` must be allowed to do: the admin's permission for the same page.
PERMISSIONS = {
    "export": "contacts.view_contact",
    "erase": "contacts.delete_contact",
}


# The counts the command's messages give.
KINDS = ("contacts", "emails", "activities")


class Command(ContactCenterCommand):
    """Export or erase everything a tenant holds of one person."""

    # Tests hand the operator's answer in (call_command(..., stdin=...)).
    stealth_options = ("stdin",)

    help = gettext_lazy(
        "A data subject's requests: export (access, portability) or erase "
        "everything the tenant holds of a person named by an email address or a "
        "phone number, in every client and in none."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar="{export,erase}",
            parser_class=OneLineErrorParser,
        )
        export = sub.add_parser(
            "export",
            help=gettext_lazy("Write the person's records into a zip file."),
        )
        export.add_argument(
            "--output",
            required=True,
            type=Path,
            metavar="FILE.zip",
            help=gettext_lazy("The zip file to write (not replaced if it exists)."),
        )
        erase = sub.add_parser(
            "erase",
            help=gettext_lazy(
                "Delete the person's contacts, emails and activity history, and "
                "leave an erasure certificate."
            ),
        )
        erase.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=gettext_lazy("Do not ask for confirmation (for scripts)."),
        )
        for subparser in sub.choices.values():
            subparser.add_argument(
                "--tenant",
                required=True,
                help=gettext_lazy("The tenant's slug or name."),
            )
            who = subparser.add_mutually_exclusive_group(required=True)
            who.add_argument(
                "--email", help=gettext_lazy("The person's email address.")
            )
            who.add_argument("--phone", help=gettext_lazy("The person's phone number."))
            subparser.add_argument(
                "--user",
                help=gettext_lazy(
                    "Act as this user, an administrator of the tenant (default: "
                    "the system account)."
                ),
            )
            self.add_common_arguments(subparser)

    def handle(self, *args, subcommand: str, **options):
        self.verbosity = options["verbosity"]
        self.stdin = options.get("stdin", sys.stdin)
        tenant = tenant_from_option(options["tenant"])
        actor = actor_from_option(options.get("user"), tenant, PERMISSIONS[subcommand])
        try:
            subject = subject_of(
                tenant, email=options.get("email"), phone=options.get("phone")
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        try:
            if subcommand == "export":
                self.handle_export(subject, actor, options["output"])
            else:
                self.handle_erase(subject, actor, options["interactive"])
        except DataSubjectRefused as exc:
            raise CommandError(str(exc)) from None

    def handle_export(self, subject, actor, output: Path) -> None:
        zip_output(output)
        if output.exists():
            raise CommandError(
                _("%(path)s exists: give another file name.") % {"path": output}
            )
        if not output.parent.is_dir():
            raise CommandError(
                _("No such folder: %(path)s") % {"path": output.parent or "."}
            )
        try:
            manifest = export_subject_to_path(subject, output, actor=actor)
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(reason)s")
                % {"path": output, "reason": exc.strerror or exc}
            ) from None
        self.say(
            _("Exported %(what)s to %(path)s.")
            % {"what": counts_in_words(manifest.counts, KINDS), "path": output},
            self.verbosity,
            self.style.SUCCESS,
        )

    def handle_erase(self, subject, actor, interactive: bool) -> None:
        if interactive and not is_terminal(self.stdin):
            raise CommandError(
                _(
                    "Refusing to erase without a terminal to confirm on: "
                    "run with --noinput to erase from a script."
                )
            )
        if interactive:
            records = records_of(subject)
            check_request(records, actor)
            self.stdout.write(
                _(
                    "Erase everything this tenant holds of the person with this "
                    "%(kind)s, in every client and in none?"
                )
                % {"kind": subject.describe_kind()}
            )
            self.stdout.write("  " + records.describe())
            self.confirm(
                self.stdin,
                _("Type 'yes' to erase, or 'no' to cancel: "),
                _("Erasure cancelled: nothing was erased."),
            )
        certificate = actions.erase_data_subject(subject, actor=actor)
        self.say(
            _("Erased %(what)s. Erasure certificate %(number)s.")
            % {
                "what": counts_in_words(certificate.counts(), KINDS),
                "number": certificate.pk,
            },
            self.verbosity,
            self.style.SUCCESS,
        )
