"""`manage.py partitions SUBCOMMAND`: the Client Partitions screens, for scripts.

Every subcommand calls the functions the admin calls (partitions.actions, .limit,
.export), so the limit, the locking, the audit entries and the messages are the same.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.tasks import TaskResult, TaskResultStatus, default_task_backend
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wcwidth import wcwidth

from ccadmin.cli import (
    ContactCenterCommand,
    OneLineErrorParser,
    actor_from_option,
    is_terminal,
    tenant_from_option,
    zip_output,
)
from ccadmin.models import Tenant
from partitions import actions
from partitions.cli import partition_from_option
from partitions.export import export_to_path
from partitions.limit import ClientPartitionLimitReached, partition_usage
from partitions.messages import being_deleted_message, toggled_message
from partitions.models import ClientPartition, DeletionCertificate
from partitions.offboarding import purge_date
from partitions.queries import with_counts
from partitions.selectors import deletion_under_way

# What `--user` must be allowed to do for each subcommand: the admin's permission
# for the same screen (the export is the "Export data" button, a view permission).
PERMISSIONS = {
    "add": "partitions.add_clientpartition",
    "enable": "partitions.change_clientpartition",
    "disable": "partitions.change_clientpartition",
    "delete": "partitions.delete_clientpartition",
    "export": "partitions.view_clientpartition",
    # Offboarding ends in a purge: the permission of the "x".
    "offboard": "partitions.delete_clientpartition",
    "certificate": "partitions.view_deletioncertificate",
}
# Subcommands that run for every tenant, as the system account (cron's).
ALL_TENANTS = ("list", "purge-due")

# How often `partitions delete --wait` looks whether the background deletion is done.
WAIT_POLL_SECONDS = 1.0


def validation_message(exc: ValidationError) -> str:
    """A model's validation errors as one line."""
    return " ".join(exc.messages)


class Command(ContactCenterCommand):
    """List, add, enable, disable, delete and export a tenant's BPO clients."""

    help = gettext_lazy(
        "Manage client partitions (BPO clients): list, add, enable, disable, delete, "
        "export, offboard, purge-due, certificate. Run 'partitions SUBCOMMAND "
        "--help' for each one's options."
    )
    # Tests pass a fake terminal here, as for Django's createsuperuser.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar="SUBCOMMAND",
            parser_class=OneLineErrorParser,
        )

        listing = sub.add_parser(
            "list",
            help=_("List client partitions with their services and contacts."),
            description=_(
                'Name, enabled, services, contacts of each client partition, and "N '
                'of M client partitions used" per tenant.'
            ),
        )
        listing.add_argument("--tenant", help=_("Only this tenant (slug or name)."))
        listing.add_argument(
            "--format", choices=["table", "json"], default="table", dest="output_format"
        )

        add = sub.add_parser(
            "add",
            help=_("Add a client partition, within the tenant's limit."),
            description=_(
                "Add a BPO client. Refused at the tenant's limit (exit status 1, "
                "nothing created)."
            ),
        )
        add.add_argument("--name", required=True, help=_("The client's name."))
        add.add_argument("--description", default="", help=_("Notes on the client."))
        add.add_argument(
            "--disabled",
            action="store_true",
            help=_("Create it disabled (hidden from agents, receives nothing)."),
        )

        for verb, text in [
            ("enable", _("Enable a client partition: offered to agents again.")),
            ("disable", _("Disable a client partition: hidden from agents.")),
        ]:
            toggle = sub.add_parser(verb, help=text, description=text)
            toggle.add_argument("name", metavar="NAME")

        delete = sub.add_parser(
            "delete",
            help=_("Delete a client partition and all its data."),
            description=_(
                "Delete a BPO client with its contacts, companies, emails and activity "
                "history; its services are unassigned. Asks for 'yes' on a terminal; "
                "scripts pass --noinput. As in the admin, a client of more than "
                "CLIENT_PARTITION_BACKGROUND_DELETE_ROWS rows is disabled at once and "
                "deleted by the background worker (python manage.py db_worker)."
            ),
        )
        delete.add_argument("name", metavar="NAME")
        delete.add_argument(
            "--wait",
            action="store_true",
            help=_(
                "When the client is large enough to be deleted in the background, "
                "wait until it is gone (exit status 1 if the deletion fails)."
            ),
        )
        delete.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=_("Do not ask for confirmation (for scripts)."),
        )

        export = sub.add_parser(
            "export",
            help=_("Export a client partition's data to a zip of CSV files."),
            description=_(
                "Write the client's contacts, companies, emails, activity history and "
                "services as CSV files in a zip, with a manifest of counts and time."
            ),
        )
        export.add_argument("name", metavar="NAME")
        export.add_argument(
            "--output", "-o", required=True, type=Path, help=_("The zip file to write.")
        )
        export.add_argument(
            "--overwrite", action="store_true", help=_("Replace an existing file.")
        )

        offboard = sub.add_parser(
            "offboard",
            help=_("Offboard a client: disable, export, purge after a grace period."),
            description=_(
                "Disable the client at once, export its data to the zip given "
                "(--output, kept also for the admin's 'download the export again') "
                "and purge it after --grace-days days (default: "
                "CLIENT_PARTITION_OFFBOARDING_GRACE_DAYS). Read-only until then. "
                "--cancel stops an offboarding: the client stays disabled, its "
                "data whole."
            ),
        )
        offboard.add_argument("name", metavar="NAME")
        offboard.add_argument(
            "--output", "-o", type=Path, help=_("The zip file to write.")
        )
        offboard.add_argument(
            "--grace-days",
            type=int,
            dest="grace_days",
            help=_("Days until the purge."),
        )
        offboard.add_argument(
            "--overwrite", action="store_true", help=_("Replace an existing file.")
        )
        offboard.add_argument(
            "--cancel",
            action="store_true",
            help=_("Cancel the client's offboarding instead."),
        )

        sub.add_parser(
            "purge-due",
            help=_("Purge the offboarded clients whose grace period has ended."),
            description=_(
                "What the background worker does when a purge falls due, for cron: "
                "each offboarded client whose grace has ended is deleted and "
                "certified. Clients on legal hold are left, with the reason. Safe "
                "to run again, and twice at once."
            ),
        )

        certificate = sub.add_parser(
            "certificate",
            help=_("Write the deletion certificate of a deleted client as JSON."),
            description=_(
                "The latest deletion certificate of the deleted client of that name."
            ),
        )
        certificate.add_argument("name", metavar="NAME")
        certificate.add_argument(
            "--output",
            "-o",
            required=True,
            type=Path,
            help=_("The JSON file to write."),
        )
        certificate.add_argument(
            "--overwrite", action="store_true", help=_("Replace an existing file.")
        )

        for name, subparser in sub.choices.items():
            if name not in ALL_TENANTS:
                subparser.add_argument(
                    "--tenant", required=True, help=_("The tenant's slug or name.")
                )
                subparser.add_argument(
                    "--user",
                    help=_(
                        "Record the change under this user (default: the system "
                        "account)."
                    ),
                )
            self.add_common_arguments(subparser)

    def handle(self, *args, subcommand: str, **options):
        self.verbosity = options["verbosity"]
        self.stdin = options.get("stdin", sys.stdin)
        if subcommand == "list":
            return self.handle_list(options)
        if subcommand == "purge-due":
            return self.handle_purge_due(options)
        tenant = tenant_from_option(options.pop("tenant"))
        # The model permission the admin asks for the same screen.
        actor = actor_from_option(options.get("user"), tenant, PERMISSIONS[subcommand])
        handler = {
            "add": self.handle_add,
            "enable": self.handle_toggle,
            "disable": self.handle_toggle,
            "delete": self.handle_delete,
            "export": self.handle_export,
            "offboard": self.handle_offboard,
            "certificate": self.handle_certificate,
        }[subcommand]
        # Dates and times printed (a purge date, a certificate's) in the tenant's
        # own zone, as its people read them in the admin.
        with timezone.override(tenant.zone):
            handler(tenant, actor, subcommand=subcommand, **options)

    @staticmethod
    def person(actor, options):
        """The `--user` acting, whose clients (client_scope) the partition named
        must be one of; None for the system account (no --user)."""
        return actor if options.get("user") else None

    # ----- list ---------------------------------------------------------------------

    def handle_list(self, options) -> None:
        if options["tenant"]:
            tenants = [tenant_from_option(options["tenant"])]
        else:
            tenants = list(Tenant.objects.order_by("name"))
        report = []
        for tenant in tenants:
            partitions = with_counts(
                ClientPartition.objects.filter(tenant=tenant).order_by("name")
            )
            usage = partition_usage(tenant)
            report.append(
                {
                    "tenant": {"slug": tenant.slug, "name": tenant.name},
                    "used": usage.used,
                    "limit": usage.limit,
                    "usage": str(usage),
                    # What a limit set below the usage means; null within it.
                    "warning": usage.warning,
                    "client_partitions": [
                        {
                            "name": p.name,
                            "enabled": p.enabled,
                            "services": p.services_count,
                            "contacts": p.contacts_count,
                            "description": p.description,
                        }
                        for p in partitions
                    ],
                }
            )
        if self.verbosity < 1:
            return
        if options["output_format"] == "json":
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        for entry in report:
            self.stdout.write(f"{entry['tenant']['name']} ({entry['tenant']['slug']})")
            rows = [
                (_("Name"), _("Enabled"), _("Services"), _("Contacts")),
                *(
                    (
                        p["name"],
                        _("yes") if p["enabled"] else _("no"),
                        str(p["services"]),
                        f"{p['contacts']:,}",
                    )
                    for p in entry["client_partitions"]
                ),
            ]
            widths = [max(_width(row[i]) for row in rows) for i in range(4)]
            for row in rows:
                cells = [
                    _pad(cell, width) for cell, width in zip(row, widths, strict=True)
                ]
                self.stdout.write("  " + "  ".join(cells).rstrip())
            self.stdout.write("  " + (entry["warning"] or entry["usage"]))

    # ----- add / enable / disable -----------------------------------------------------

    def handle_add(self, tenant: Tenant, actor, **options) -> None:
        partition = ClientPartition(
            tenant=tenant,
            name=options["name"],
            description=options["description"],
            enabled=not options["disabled"],
        )
        try:
            actions.create_client_partition(partition, actor=actor)
        except ClientPartitionLimitReached as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        self.say(
            _('Client partition "%(name)s" added to %(tenant)s (%(usage)s).')
            % {
                "name": partition.name,
                "tenant": tenant.name,
                "usage": partition_usage(tenant),
            },
            self.verbosity,
            self.style.SUCCESS,
        )

    def handle_toggle(self, tenant: Tenant, actor, *, subcommand: str, **options):
        partition = partition_from_option(
            tenant, options["name"], user=self.person(actor, options)
        )
        if partition.is_deleting:
            # The action would leave it disabled and report "already enabled".
            raise CommandError(being_deleted_message(partition))
        enabled = subcommand == "enable"
        changed = actions.set_client_partitions_enabled(
            ClientPartition.objects.filter(pk=partition.pk),
            enabled=enabled,
            actor=actor,
        )
        message = toggled_message(changed, enabled=enabled)
        if not changed:
            state = _("enabled") if enabled else _("disabled")
            message += " " + _('"%(name)s" was already %(state)s.') % {
                "name": partition.name,
                "state": state,
            }
        self.say(message, self.verbosity, self.style.SUCCESS)

    # ----- delete -------------------------------------------------------------------

    def handle_delete(self, tenant: Tenant, actor, **options) -> None:
        partition = partition_from_option(
            tenant, options["name"], user=self.person(actor, options)
        )
        summary = actions.deletion_summary(partition)
        if deletion_under_way(partition):
            # As in the admin: a second delete would enqueue a second task.
            self.say(
                _('"%(name)s" is already being deleted.') % {"name": partition.name},
                self.verbosity,
            )
            if options["wait"]:
                self._wait_until_deleted(partition, _task_result(partition), summary)
            return
        if options["interactive"] and not is_terminal(self.stdin):
            raise CommandError(
                _(
                    "Refusing to delete without a terminal to confirm on: "
                    "run with --noinput to delete from a script."
                )
            )
        if options["interactive"]:
            # The question only when an answer is awaited (even with -v 0): with
            # --noinput nobody answers it, and the outcome line says what went.
            self.stdout.write(summary.question)
            self.stdout.write(
                _(
                    "  Contacts: %(contacts)s\n  Companies: %(companies)s\n"
                    "  Emails: %(emails)s\n  Activity history entries: %(activities)s"
                )
                % {
                    key: f"{getattr(summary, key):,}"
                    for key in ("contacts", "companies", "emails", "activities")
                }
            )
            services = ", ".join(s.name for s in summary.services) or _("none")
            self.stdout.write(_("  Services unassigned (not deleted): %s") % services)
            self.confirm(
                self.stdin,
                _("Type 'yes' to delete, or 'no' to cancel: "),
                _("Deletion cancelled: nothing was deleted."),
            )
        try:
            # The admin's policy: small clients now, large ones by the worker.
            outcome = actions.delete_or_schedule_client_partition(
                partition, actor=actor
            )
        except actions.DeletionRefused as exc:
            raise CommandError(str(exc)) from exc
        if isinstance(outcome, actions.DeletionSummary):
            self.say(outcome.deleted_message(), self.verbosity, self.style.SUCCESS)
            return
        self.say(
            _(
                'Client partition "%(name)s" is being deleted in the background '
                "(task %(task)s): %(what)s, about %(seconds)s s. It is disabled "
                "meanwhile."
            )
            % {
                "name": outcome.summary.name,
                "task": outcome.task_id,
                "what": outcome.summary.describe(),
                "seconds": outcome.expected_seconds,
            },
            self.verbosity,
        )
        if options["wait"]:
            self._wait_until_deleted(partition, outcome.task_result, outcome.summary)

    def _wait_until_deleted(
        self,
        partition: ClientPartition,
        result: TaskResult | None,
        summary: actions.DeletionSummary,
    ) -> None:
        """Block until the background deletion is done: the partition's row is gone.

        The task's result is followed too, so a failed deletion ends the wait with one
        line on stderr and exit status 1 instead of waiting forever.
        """
        self.say(_("Waiting for the background deletion to finish…"), self.verbosity)
        while ClientPartition.objects.filter(pk=partition.pk).exists():
            if result is not None and not result.is_finished:
                try:
                    result.refresh()
                except TaskResultDoesNotExist:
                    result = None
            if result is None or result.status == TaskResultStatus.FAILED:
                raise CommandError(
                    _(
                        'The background deletion of "%(name)s" failed (%(error)s); '
                        "it is still there, disabled. Delete it again to retry."
                    )
                    % {"name": partition.name, "error": _task_error(result)}
                )
            time.sleep(WAIT_POLL_SECONDS)
        self.say(summary.deleted_message(), self.verbosity, self.style.SUCCESS)

    # ----- export -------------------------------------------------------------------

    def handle_export(self, tenant: Tenant, actor, **options) -> None:
        partition = partition_from_option(
            tenant, options["name"], user=self.person(actor, options)
        )
        output: Path = zip_output(options["output"])
        if output.exists() and not options["overwrite"]:
            raise CommandError(
                _("%(path)s already exists: give another --output or --overwrite.")
                % {"path": output}
            )
        if output.is_dir() or not output.parent.is_dir():
            raise CommandError(
                _("Cannot write %(path)s: no such directory.") % {"path": output}
            )
        try:
            manifest = export_to_path(partition, output, actor=actor)
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(reason)s")
                % {"path": output, "reason": exc.strerror or exc}
            ) from exc
        self.say(
            _('Exported "%(name)s" to %(path)s: %(counts)s.')
            % {"name": partition.name, "path": output, "counts": manifest.describe()},
            self.verbosity,
            self.style.SUCCESS,
        )

    # ----- offboarding, purge, certificate -------------------------------------------

    def handle_offboard(self, tenant: Tenant, actor, **options) -> None:
        partition = partition_from_option(
            tenant, options["name"], user=self.person(actor, options)
        )
        if options["cancel"]:
            try:
                actions.cancel_offboarding(partition, actor=actor)
            except ValidationError as exc:
                raise CommandError(validation_message(exc)) from exc
            self.say(
                _(
                    'Offboarding of "%(name)s" cancelled: it stays disabled, with '
                    "all its data. Enable it to offer it to agents again."
                )
                % {"name": partition.name},
                self.verbosity,
                self.style.SUCCESS,
            )
            return
        output: Path | None = options["output"]
        if output is None:
            raise CommandError(
                _("Give the zip file to write with --output (or --cancel).")
            )
        _check_output(zip_output(output), options["overwrite"])
        try:
            done = actions.offboard_client_partition(
                partition, grace_days=options["grace_days"], actor=actor
            )
            _copy_atomically(done.export_path, output)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(reason)s")
                % {"path": output, "reason": exc.strerror or exc}
            ) from exc
        self.say(
            _(
                'Offboarding "%(name)s": disabled, exported to %(path)s (%(counts)s; '
                "SHA-256 %(sha)s). Purge on %(date)s."
            )
            % {
                "name": partition.name,
                "path": output,
                "counts": done.manifest.describe(),
                "sha": done.export_sha256,
                "date": purge_date(done.partition),
            },
            self.verbosity,
            self.style.SUCCESS,
        )

    def handle_purge_due(self, options) -> None:
        report = actions.purge_due_client_partitions()
        for summary in report.purged:
            self.say(summary.deleted_message(), self.verbosity, self.style.SUCCESS)
        for name, reason in report.held:
            self.say(
                _('"%(name)s" is due but on legal hold, not purged: %(reason)s')
                % {"name": name, "reason": reason or _("no reason given")},
                self.verbosity,
                self.style.WARNING,
            )
        if not report.purged and not report.held:
            self.say(_("No client is due for purge."), self.verbosity)

    def handle_certificate(self, tenant: Tenant, actor, **options) -> None:
        person = self.person(actor, options)
        # With --user, what that person may see; the system account sees the
        # tenant's (it is the operator's, like every other subcommand's).
        certificates = (
            DeletionCertificate.objects.visible_to(person)
            if person is not None
            else DeletionCertificate.objects.all()
        )
        found = (
            certificates.filter(
                tenant=tenant, client_partition_name__iexact=options["name"]
            )
            .select_related("tenant")
            .first()
        )
        if found is None:
            raise CommandError(
                _(
                    'The tenant "%(tenant)s" has no deletion certificate for a client '
                    'named "%(name)s".'
                )
                % {"tenant": tenant.name, "name": options["name"]}
            )
        output: Path = options["output"]
        _check_output(output, options["overwrite"])
        try:
            output.write_text(
                json.dumps(found.as_dict(), ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
            )
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(reason)s")
                % {"path": output, "reason": exc.strerror or exc}
            ) from exc
        self.say(
            _('Deletion certificate %(number)s of "%(name)s" written to %(path)s.')
            % {"number": found.pk, "name": found.client_partition_name, "path": output},
            self.verbosity,
            self.style.SUCCESS,
        )


def _check_output(output: Path, overwrite: bool) -> None:
    """Refuse, before anything is done, a file that exists or cannot be written."""
    if output.exists() and not overwrite:
        raise CommandError(
            _("%(path)s already exists: give another --output or --overwrite.")
            % {"path": output}
        )
    if output.is_dir() or not output.parent.is_dir():
        raise CommandError(
            _("Cannot write %(path)s: no such directory.") % {"path": output}
        )


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy the kept export to `target`, which appears only once complete."""
    partial = target.with_name(f".{target.name}.part")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _task_result(partition: ClientPartition) -> TaskResult | None:
    """The worker's result for the partition's background deletion, if kept."""
    try:
        return default_task_backend.get_result(partition.deletion_task_id)
    except TaskResultDoesNotExist:
        return None


def _task_error(result: TaskResult | None) -> str:
    """What went wrong in a failed task, in one line: the traceback's last line
    (the exception and its message)."""
    if result is None or not result.errors:
        return _("the task is gone")
    lines = result.errors[-1].traceback.strip().splitlines()
    return lines[-1] if lines else result.errors[-1].exception_class_path


def _width(text: str) -> int:
    """Columns a string takes on a terminal: Japanese (wide) characters take two,
    combining marks (the dakuten of a decomposed "ガ") and zero-width characters
    none. wcwidth's table, rather than east_asian_width alone, which counts a
    combining mark as a column and misaligns every column after such a name."""
    return sum(max(wcwidth(c), 0) for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
