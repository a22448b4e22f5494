"""`manage.py receive_interactions`: record calls, chats and emails from files.

Each record is routed on its own (interactions.routing.route_interaction, one
transaction each): a bad record is rejected with its reason and the good ones are kept.
"""

import json
from collections import Counter
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin.cli import ContactCenterCommand, actor_from_option, tenant_from_option
from interactions.input import (
    interaction_from_email,
    interaction_from_json,
    read_eml,
    read_mbox,
)
from interactions.routing import (
    InteractionRejected,
    RoutedInteraction,
    route_interaction,
)

SUFFIXES = (".jsonl", ".eml", ".mbox")


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

        routed: list[RoutedInteraction] = []
        rejected: list[tuple[str, str]] = []
        for label, load in self._records(paths, service):
            try:
                routed.append(route_interaction(found, actor=actor, **load()))
            except InteractionRejected as exc:
                rejected.append((label, str(exc)))
        self._summary(routed, rejected)
        if rejected:
            raise CommandError(
                _("%(rejected)s of %(total)s records rejected (valid ones were kept).")
                % {"rejected": len(rejected), "total": len(routed) + len(rejected)}
            )

    def _records(self, paths: list[Path], service: str):
        """(label, loader) per record; the loader raises InteractionRejected for a
        record that cannot even be read, so it is counted like any bad record."""
        for path in paths:
            suffix = path.suffix.lower()
            if suffix == ".eml":
                yield (
                    str(path),
                    lambda p=path: interaction_from_email(read_eml(p), service=service),
                )
            elif suffix == ".mbox":
                for number, message in enumerate(read_mbox(path), start=1):
                    yield (
                        f"{path}#{number}",
                        lambda m=message: interaction_from_email(m, service=service),
                    )
            else:
                with path.open("rb") as handle:
                    for number, line in enumerate(handle, start=1):
                        if line.strip():
                            yield (
                                f"{path}:{number}",
                                lambda t=line: _json_line(t, service),
                            )

    def _summary(self, routed: list[RoutedInteraction], rejected) -> None:
        recorded = [r for r in routed if not r.duplicate]
        duplicates = len(routed) - len(recorded)
        per_client = Counter(r.partition.name for r in recorded if r.partition)
        unassigned = sum(1 for r in recorded if r.partition is None)
        write = self.stdout.write
        write(
            _(
                "Received %(received)s records: %(recorded)s recorded, "
                "%(rejected)s rejected, duplicates skipped: %(duplicates)s."
            )
            % {
                "received": len(routed) + len(rejected),
                "recorded": len(recorded),
                "duplicates": duplicates,
                "rejected": len(rejected),
            }
        )
        for name, count in sorted(per_client.items()):
            write(
                _("  assigned to %(client)s: %(count)s")
                % {"client": name, "count": count}
            )
        write(_("  unassigned (no enabled client): %(count)s") % {"count": unassigned})
        for label, reason in rejected:
            write(
                _("  rejected %(record)s: %(reason)s")
                % {"record": label, "reason": reason}
            )


def _json_line(line: bytes, service: str) -> dict:
    # Decoded line by line, strictly: one line in another encoding is rejected with
    # its number instead of being recorded with garbled text.
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InteractionRejected(
            {"__all__": [_("Not UTF-8 text: %(error)s.") % {"error": exc.reason}]}
        ) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InteractionRejected(
            {"__all__": [_("Not valid JSON: %(error)s.") % {"error": exc}]}
        ) from exc
    return interaction_from_json(data, default_service=service)
