"""CSV cells a spreadsheet will not run: the one rule for every CSV the project
writes for people (a client's export zip), and its inverse for the contact import.

A client's staff open the export in Excel or Google Sheets. A contact named
`=HYPERLINK("http://evil.example","Click")`, or an email subject
`-2+3+cmd|' /C calc'!A0`, arrives from outside (an incoming email, a caller's
display name, an import) and would be evaluated as a formula when the file is
opened. OWASP's CSV-injection guidance: a cell that starts with `=`, `@`, `+`, `-`,
a tab or a carriage return gets a leading single quote, which spreadsheets show as
text and do not evaluate. `+` and `-` are left alone when the whole cell is a plain
number, so "+81312345678" (a phone in E.164) and "-12.5" stay readable.

The contact import (contacts.imports) undoes it with `unescape_cell`, so an export
imported again gives back exactly the values that were exported. To make that exact,
a value that already looks escaped (a quote followed by a trigger) is escaped once
more: `'=1` is written `''=1` and read back as `'=1`.

Not for ccadmin.bulk's COPY data, which PostgreSQL reads, not a spreadsheet.
"""

from __future__ import annotations

import re

# Characters that make a spreadsheet evaluate a cell (OWASP).
FORMULA_TRIGGERS = frozenset("=@+-\t\r")
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def needs_quote(value: str) -> bool:
    """Whether a spreadsheet could evaluate the cell `value` (or it would read back
    as an escaped cell), so that it is written with a leading quote."""
    # Quotes before a trigger: escaped again, so unescape_cell gives the value back
    # whole ("'=1" is written "''=1").
    rest = value.lstrip(QUOTE)
    if not rest:
        return False
    first = rest[0]
    if first in "+-":
        return _PLAIN_NUMBER.fullmatch(rest) is None
    return first in FORMULA_TRIGGERS


def escape_cell(value: str) -> str:
    """The cell as written to a CSV file for people: a leading quote before a
    formula, the value unchanged otherwise."""
    return QUOTE + value if needs_quote(value) else value


def unescape_cell(value: str) -> str:
    """The value an escaped cell stood for: the inverse of `escape_cell`, so
    `unescape_cell(escape_cell(v)) == v` for every string."""
    if value.startswith(QUOTE) and needs_quote(value[1:]):
        return value[1:]
    return value
