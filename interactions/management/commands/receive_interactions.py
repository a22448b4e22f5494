"""`manage.py receive_interactions`: record calls, chats and emails from files.

Files of any size are read as streams (interactions.input.read_jsonl, read_mbox) and
routed in batches of BATCH_SIZE records (interactions.routing.route_interactions, one
transaction a batch, as the API's batches): a record refused for any reason
(unreadable, invalid, a value the database refuses) is refused alone, reported with
its place in the file and the reason, and every valid record is kept. On a terminal
a progress bar shows the bytes read. The command exits non-zero at the end if any
record was refused.
"""

import itertools
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from ccadmin.cli import ContactCenterCommand, actor_from_option, tenant_from_option
from ccadmin.counts import count_of
from interactions.input import (
    interaction_from_json,
    load_json,
    read_jsonl,
    read_mbox,
)
from interactions.mail import interaction_from_email
from interactions.routing import (
    InteractionRejected,
    RoutedInteraction,
    database_error_message,
    route_interactions,
)

SUFFIXES = (".jsonl", ".eml", ".mbox")

# Records per batch, routed together by interactions.routing.route_interactions: one
# commit and a few set-based queries per batch instead of per record (the API's
# batches take up to 500). Savepoints are taken per record only when the database
# refuses something of the batch, so the size is not bound by PostgreSQL's cache of
# 64 subtransactions in the common case.
BATCH_SIZE = 200


class Record(NamedTuple):
    """One record of an input file: where it is (file:line, file#message or file),
    how many bytes of the file it took, and how to read it into routing's arguments
    (raising InteractionRejected when it cannot be)."""

    label: str
    size: int
    load: Callable[[], dict]


class Tally:
    """What the command has recorded and refused so far (counts only, so memory
    stays flat however long the files)."""

    def __init__(self) -> None:
        self.recorded = 0
        self.duplicates = 0
        self.rejected = 0
        self.unassigned = 0
        # Recorded as well as they could be (an unreadable date, a bad recipient):
        # each says so in its intake notes.
        self.noted = 0
        self.per_client: Counter[str] = Counter()

    def add(self, routed: RoutedInteraction) -> None:
        if routed.duplicate:
            self.duplicates += 1
            return
        self.recorded += 1
        self.noted += bool(routed.notes)
        if routed.partition is None:
            self.unassigned += 1
        else:
            self.per_client[routed.partition.name] += 1

    @property
    def received(self) -> int:
        return self.recorded + self.duplicates + self.rejected


class Command(ContactCenterCommand):
    """Feed JSON Lines, .eml and mbox files to routing and print what went where."""

    help = gettext_lazy(
        "Record incoming interactions from JSON Lines (.jsonl), RFC 822 (.eml) and "
        "mbox (.mbox) files, assigning each to its service's BPO client while that "
        "client is enabled. Exits non-zero if any record was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant",
            required=True,
            help=gettext_lazy("The contact center's slug (or name)."),
        )
        parser.add_argument(
            "--service",
            default="",
            help=gettext_lazy(
                "The service of .eml/mbox emails (default: the service whose email "
                "address they were sent to), and of JSON lines that name none."
            ),
        )
        parser.add_argument(
            "--user",
            # Its only change is a contact created for a new sender.
            help=gettext_lazy(
                "Record the change under this user (default: the system account)."
            ),
        )
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, tenant: str, service: str, files: list[str], **options):
        found = tenant_from_option(tenant)
        # Records activity history (and a contact for a new sender) as `--user`.
        actor = actor_from_option(options.get("user"), found, "contacts.add_activity")
        paths = [Path(name) for name in files]
        for path in paths:
            if path.suffix.lower() not in SUFFIXES:
                raise CommandError(
                    _("%(file)s: unknown file type; use %(types)s.")
                    % {"file": path, "types": ", ".join(SUFFIXES)}
                )
            if not path.is_file():
                raise CommandError(_("%(file)s: no such file.") % {"file": path})

        self.verbosity = options.get("verbosity", 1)
        self.progress = self._progress_bar(paths)
        tally = Tally()
        try:
            for batch in itertools.batched(self._records(paths, service), BATCH_SIZE):
                self._route_batch(found, actor, batch, tally)
                if self.progress is not None:
                    self.progress.update(sum(record.size for record in batch))
        except OSError as exc:
            # The file itself became unreadable midway: what came before is kept.
            self._summary(tally)
            raise CommandError(
                _("%(file)s: %(error)s") % {"file": exc.filename, "error": exc.strerror}
            ) from exc
        finally:
            if self.progress is not None:
                self.progress.close()
        self._summary(tally)
        if tally.rejected:
            raise CommandError(
                ngettext(
                    "%(rejected)s of %(total)s record rejected (valid ones were kept).",
                    "%(rejected)s of %(total)s records rejected (valid ones were "
                    "kept).",
                    tally.received,
                )
                % {"rejected": tally.rejected, "total": tally.received}
            )

    def _route_batch(self, tenant, actor, batch: tuple[Record, ...], tally) -> None:
        """Read each record of the batch, refusing the unreadable ones alone, then
        route the readable ones together (route_interactions: one transaction, each
        record refused on its own if it must be)."""
        readable: list[tuple[Record, dict]] = []
        for record in batch:
            try:
                readable.append((record, record.load()))
            except InteractionRejected as exc:
                self._reject(tally, record, str(exc))
            except Exception as exc:
                # Any other failure of one record (a message the email package
                # chokes on) must not stop the valid ones after it.
                self._reject(
                    tally,
                    record,
                    _("cannot be read: %(error)s")
                    % {"error": f"{type(exc).__name__}: {exc}"},
                )
                if self.verbosity >= 2:
                    self._write(traceback.format_exc(), error=True)
        if not readable:
            return
        try:
            outcomes = route_interactions(
                tenant, [arguments for _record, arguments in readable], actor=actor
            )
        except DatabaseError as exc:
            # The batch's commit failed: none of its records is stored.
            for record, _arguments in readable:
                self._reject(tally, record, database_error_message(exc))
            return
        for (record, _arguments), outcome in zip(readable, outcomes, strict=True):
            if isinstance(outcome, InteractionRejected):
                self._reject(tally, record, str(outcome))
            else:
                tally.add(outcome)
                if self.verbosity >= 2 and not outcome.duplicate:
                    for note in outcome.notes:
                        self._write(
                            _("  noted %(record)s: %(note)s")
                            % {"record": record.label, "note": note}
                        )

    def _records(self, paths: list[Path], service: str) -> Iterator[Record]:
        """Each record of the files, in order, read lazily: parsing happens in the
        record's `load`, so a record that cannot be parsed is refused like any bad
        record."""

        def email_of(data: bytes, _number: int = 0) -> dict:
            return interaction_from_email(data, service=service)

        def json_of(data: bytes, number: int) -> dict:
            return interaction_from_json(
                load_json(data, line=number), default_service=service
            )

        for path in paths:
            suffix = path.suffix.lower()
            if suffix == ".eml":
                size = path.stat().st_size
                yield Record(str(path), size, lambda p=path: email_of(p.read_bytes()))
                continue
            # mbox messages are named file#N, JSON Lines records file:N.
            read, place, parse = (
                (read_mbox, "#", email_of)
                if suffix == ".mbox"
                else (read_jsonl, ":", json_of)
            )
            for raw in read(path):
                yield Record(
                    f"{path}{place}{raw.number}",
                    raw.size,
                    lambda d=raw.data, n=raw.number, parse=parse: parse(d, n),
                )

    def _progress_bar(self, paths: list[Path]) -> tqdm | None:
        """A progress bar of the bytes read, on a terminal only (-v 0 hides it)."""
        stream = getattr(self.stderr, "_out", self.stderr)
        if self.verbosity < 1 or not getattr(stream, "isatty", lambda: False)():
            return None
        return tqdm(
            total=sum(path.stat().st_size for path in paths),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=stream,
            desc=_("Receiving"),
        )

    def _write(self, text: str, *, error: bool = False) -> None:
        out = self.stderr if error else self.stdout
        if self.progress is not None:
            # Printed above the bar instead of through it.
            self.progress.write(text, file=getattr(out, "_out", out))
        else:
            out.write(text)

    def _reject(self, tally: Tally, record: Record, reason: str) -> None:
        tally.rejected += 1
        self._write(
            _("  rejected %(record)s: %(reason)s")
            % {"record": record.label, "reason": reason}
        )

    def _summary(self, tally: Tally) -> None:
        write = self.stdout.write
        write(
            _(
                "Received %(received)s: %(recorded)s recorded, "
                "%(rejected)s rejected, duplicates skipped: %(duplicates)s."
            )
            % {
                "received": count_of("records", tally.received),
                "recorded": tally.recorded,
                "duplicates": tally.duplicates,
                "rejected": tally.rejected,
            }
        )
        for name, count in sorted(tally.per_client.items()):
            write(
                _("  assigned to %(client)s: %(count)s")
                % {"client": name, "count": count}
            )
        write(
            _("  unassigned (no enabled client): %(count)s")
            % {"count": tally.unassigned}
        )
        if tally.noted:
            write(
                _(
                    "  recorded with intake notes (a header read as well as it "
                    "could be; -v 2 lists them): %(count)s"
                )
                % {"count": tally.noted}
            )
