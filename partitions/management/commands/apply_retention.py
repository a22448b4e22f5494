"""`manage.py apply_retention [--dry-run] [--schedule]`: delete every client's
emails and activity history older than its retention, as the daily worker run does.

The command lives in partitions because the decision is partitions' (which clients,
from when, legal hold: partitions.retention); the rows are deleted by their owner,
contacts, through partitions.registry, since partitions may not import contacts.
"""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from ccadmin.cli import ContactCenterCommand
from partitions.retention import ClientRetention, apply_retention, plan_retention
from partitions.tasks import schedule_daily_retention


class Command(ContactCenterCommand):
    """Apply every client's retention now, or show what it would delete."""

    help = gettext_lazy(
        "Delete each client's emails and activity history older than its retention "
        "(clients on legal hold are skipped, with the reason)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext_lazy("Only print what would be deleted, per client and kind."),
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help=gettext_lazy(
                "Only enqueue the worker's daily run (once; the run then enqueues "
                "the next)."
            ),
        )

    def handle(self, *args, dry_run: bool, schedule: bool, **options):
        verbosity = options["verbosity"]
        if dry_run and schedule:
            raise CommandError(_("Give --dry-run or --schedule, not both."))
        try:
            if schedule:
                self._schedule(verbosity)
                return
            # A real run counts as it deletes (the bar shows rows and rate, no total).
            plans = plan_retention(count=dry_run)
            if dry_run:
                for plan in plans:
                    self.say(self._line(plan, dry_run=True), verbosity)
                return
            bar = self._progress_bar(verbosity)
            try:
                done = apply_retention(
                    plans, progress=bar.update if bar is not None else None
                )
            finally:
                if bar is not None:
                    bar.close()
        except DatabaseError as exc:
            # E.g. the database is unreachable: one line, not a traceback.
            raise CommandError(
                _("Retention stopped: %(error)s")
                % {"error": " ".join(str(exc).split())}
            ) from exc
        for result in done:
            self.say(self._line(result, dry_run=False), verbosity)

    def _schedule(self, verbosity: int) -> None:
        when = schedule_daily_retention()
        if when is None:
            self.say(_("The daily retention run is already scheduled."), verbosity)
        else:
            self.say(
                _("The daily retention run is scheduled for %(when)s.")
                % {
                    # The setting's zone (the run is the machine's, not a
                    # tenant's), named.
                    "when": date_format(
                        timezone.localtime(when), "DATETIME_FORMAT", use_l10n=True
                    )
                    + f" {timezone.localtime(when).tzname()}"
                },
                verbosity,
            )

    @staticmethod
    def _line(result: ClientRetention, *, dry_run: bool) -> str:
        """One line per client: what goes (or went), or why nothing does."""
        names = {"tenant": result.partition.tenant.name, "name": result.partition}
        if result.held:
            return _(
                "%(tenant)s / %(name)s: on legal hold (%(reason)s): nothing deleted."
            ) % {**names, "reason": result.partition.legal_hold_reason}
        text = (
            _("%(tenant)s / %(name)s: would delete %(what)s.")
            if dry_run
            else _("%(tenant)s / %(name)s: deleted %(what)s.")
        )
        return text % {**names, "what": result.describe()}

    def _progress_bar(self, verbosity: int) -> tqdm | None:
        """A progress bar of the rows deleted, on a terminal only (-v 0 hides it)."""
        stream = getattr(self.stderr, "_out", self.stderr)
        if verbosity < 1 or not getattr(stream, "isatty", lambda: False)():
            return None
        return tqdm(unit=_("rows"), file=stream, desc=_("Retention"))
