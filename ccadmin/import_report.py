"""What a CSV import of a contact center did, row by row: the one rule every
importer follows (contacts: contacts.imports; people: ccadmin.people_import).

An import keeps its good rows and skips the bad ones only while every refused row can
be listed (at most MAX_REPORTED_ERRORS, each with its line and reason, on the admin
page, in the audit entry and on the command's stderr); with more refused rows, or
with `atomic`, a refused row undoes the whole import. Either way the report says
which lines were refused, in one sentence a person reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Refused rows an import may skip and still keep the good ones: each is listed, so the
# report stays small and says exactly which rows were kept.
MAX_REPORTED_ERRORS = 100


def normalize_header(value: str) -> str:
    """ "First_Name", " first-name " and "First Name" all name the same column."""
    cleaned = value.replace("\ufeff", "").replace("_", " ").replace("-", " ")
    return " ".join(cleaned.split()).casefold()


@dataclass(frozen=True)
class RowError:
    """A row of the file that was not imported: its line number and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return _("line %(line)s: %(reason)s") % {
            "line": self.line,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    """The rows of an import and those refused; each importer's result adds what it
    made and says so in `done()`."""

    rows: int = 0
    refused: int = 0
    atomic: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def kept_nothing(self) -> bool:
        """Whether the refused rows undid the whole import: any with `atomic`, or
        more than can be listed (MAX_REPORTED_ERRORS)."""
        return bool(self.refused) and (
            self.atomic or self.refused > MAX_REPORTED_ERRORS
        )

    @property
    def more_errors(self) -> int:
        """Refused rows beyond those listed in `errors`."""
        return self.refused - len(self.errors)

    def refused_lines(self) -> str:
        """The listed refused rows' line numbers, runs shortened: "3, 7-9, 12"."""
        runs: list[list[int]] = []
        for line in sorted(error.line for error in self.errors):
            if runs and line == runs[-1][1] + 1:
                runs[-1][1] = line
            else:
                runs.append([line, line])
        return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)

    def done(self) -> str:
        """What a kept import made, one sentence (each importer says it)."""
        raise NotImplementedError

    def describe(self) -> str:
        """The final summary, one sentence."""
        counts = {
            "refused": f"{self.refused:,}",
            "rows": f"{self.rows:,}",
            "limit": MAX_REPORTED_ERRORS,
        }
        if self.atomic and self.refused:
            return (
                ngettext(
                    "Nothing imported (all or nothing): %(refused)s of %(rows)s row "
                    "refused.",
                    "Nothing imported (all or nothing): %(refused)s of %(rows)s rows "
                    "refused.",
                    self.rows,
                )
                % counts
            )
        if self.kept_nothing:
            return (
                ngettext(
                    "Nothing imported: %(refused)s of %(rows)s row refused, more than "
                    "the %(limit)s an import may skip. Correct them and import the "
                    "file again.",
                    "Nothing imported: %(refused)s of %(rows)s rows refused, more than "
                    "the %(limit)s an import may skip. Correct them and import the "
                    "file again.",
                    self.rows,
                )
                % counts
            )
        return self.done()

    def with_refused_lines(self, message: str) -> str:
        """The audit entry's text: the importer's `message` (what it imported,
        from where, and the summary), then which lines were refused."""
        if self.errors:
            message += " " + _("Refused lines: %(lines)s") % {
                "lines": self.refused_lines()
            }
            if self.more_errors:
                message += " " + _("and %(more)s more.") % {
                    "more": f"{self.more_errors:,}"
                }
        return message
