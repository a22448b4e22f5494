"""The rows of a contact list as a client sends it: a CSV file or an Excel workbook.

`open_table` reads the header and then streams the rows, each as a list of strings
with the line (CSV) or row number (Excel) it came from, so that an error names the
place the administrator finds it in the file. The importer (contacts.imports) and
the admin's mapping page read files only through it.

- CSV: the delimiter is detected from the header line (comma, semicolon, tab: a
  European Excel saves CSV with semicolons), with csv.Sniffer limited to those three,
  comma when it cannot tell. Cells the export protected from spreadsheets ("'=1") are
  read back as the value they stood for (ccadmin.csvsafe).
- Excel (.xlsx, by its name or its zip signature): openpyxl in read-only mode, which
  streams the first sheet's rows instead of loading the workbook, so a large list
  costs the memory of one row. Excel stores every number as a number: a phone typed
  as 819012345678 comes back as the digits (never "8.19E+11" or "819012345678.0"), a
  phone stored as text keeps its leading zero, a date becomes an ISO date.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ccadmin.csvsafe import unescape_cell

DEFAULT_ENCODING = "utf-8-sig"
DELIMITERS = ",;\t"
# The first bytes of a zip archive, which an .xlsx workbook is.
ZIP_SIGNATURE = b"PK\x03\x04"
# What openpyxl and zipfile raise on a damaged workbook (a truncated or bit-flipped
# download, a file edited by another tool), found by damaging real workbooks: the
# archive (BadZipFile, a part's compressed bytes: zlib.error, a part cut short:
# EOFError), a missing part (KeyError), its XML (ParseError), a value of the wrong
# type in it (TypeError, ValueError: a style's numFmtId="x"), a reference to a shared
# string that does not exist (IndexError), XML that lxml (openpyxl's parser when
# installed) refuses (XMLSyntaxError: a SyntaxError, as ElementTree's ParseError is),
# a zip feature or encryption zipfile does not read (NotImplementedError,
# RuntimeError). Found by flipping bytes of real workbooks. Each is the file's fault,
# never a bug of ours to show as a traceback: the administrator gets one line instead.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    ParseError,
    SyntaxError,
    TypeError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class ContactImportError(Exception):
    """The file cannot be imported at all (empty, unknown columns, not text, not a
    workbook)."""


class Table:
    """A contact list being read: `headers` (the first non-blank line), then, when
    iterated, each following row as (line number, cells). Read once; `close()` (or
    `with`) releases the file without closing the caller's stream."""

    headers: list[str]
    kind: str  # "csv" or "xlsx"

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        raise NotImplementedError

    def position(self) -> int | None:
        """Bytes of the file read so far (for a progress bar), or None if unknown."""
        return None

    def close(self) -> None:
        """Release what reading holds; the caller's stream stays open."""

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_table(
    stream: IO[bytes], filename: str = "", encoding: str = DEFAULT_ENCODING
) -> Table:
    """Open a contact list (bytes, read from the stream's current position) and
    read its header: an Excel workbook when `filename` ends in .xlsx or the data
    starts with a zip signature, else CSV text in `encoding`.

    Raises ContactImportError when the file is empty, is not text in `encoding`, is
    not valid CSV, or is not a readable workbook.
    """
    if filename.lower().endswith(".xlsx") or _starts_with(stream, ZIP_SIGNATURE):
        return _XlsxTable(stream)
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ContactImportError(
            _('Unknown encoding "%(encoding)s".') % {"encoding": encoding}
        ) from exc
    return _CsvTable(stream, encoding)


def _starts_with(stream, signature: bytes) -> bool:
    """Whether the stream's next bytes are `signature`, without consuming them."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        return peek(len(signature))[: len(signature)] == signature
    if stream.seekable():
        position = stream.tell()
        start = stream.read(len(signature))
        stream.seek(position)
        return start == signature
    return False


def _empty() -> ContactImportError:
    return ContactImportError(
        _("The file is empty: the first line must name the columns.")
    )


class _CsvTable(Table):
    kind = "csv"

    def __init__(self, stream: IO[bytes], encoding: str) -> None:
        self.stream = stream
        self.encoding = encoding
        self.text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            skipped, first = self._guarded(self._first_line)
            delimiter = _delimiter(first)
            # The header line is read again by the reader, which may need the next
            # lines too (a quoted header cell spanning lines).
            self.reader = csv.reader(
                itertools.chain([first], self.text), delimiter=delimiter
            )
            self.offset = skipped
            self.headers = self._guarded(next, self.reader)
        except BaseException:
            self.close()
            raise

    def _first_line(self) -> tuple[int, str]:
        """(blank lines skipped, the first line with a cell)."""
        skipped = 0
        for line in self.text:
            if line.replace("\ufeff", "").strip():
                return skipped, line
            skipped += 1
        raise _empty()

    def _guarded(self, function, *args):
        """Run a read, turning a decoding or CSV error into ContactImportError."""
        try:
            return function(*args)
        except UnicodeDecodeError as exc:
            raise ContactImportError(
                _(
                    "The file is not %(encoding)s text: save it as UTF-8 CSV, or "
                    "give its encoding (for example cp932 for Shift_JIS)."
                )
                % {
                    "encoding": "UTF-8"
                    if self.encoding == DEFAULT_ENCODING
                    else self.encoding
                }
            ) from exc
        except csv.Error as exc:
            line = self.offset + self.reader.line_num if hasattr(self, "reader") else 1
            raise ContactImportError(
                _("The file is not valid CSV (line %(line)s): %(reason)s")
                % {"line": line, "reason": exc}
            ) from exc

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            line = self.offset + self.reader.line_num + 1  # where the record starts
            try:
                row = self._guarded(next, self.reader)
            except StopIteration:
                return
            yield line, [unescape_cell(cell) for cell in row]

    def position(self) -> int | None:
        try:
            return self.stream.tell()
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self.text is not None:
            # The caller owns the underlying file: do not let the wrapper close it.
            self.text.detach()
            self.text = None


def _delimiter(line: str) -> str:
    """The header line's delimiter among comma, semicolon and tab; comma when the
    line has one column or the sniffer cannot tell."""
    try:
        return csv.Sniffer().sniff(line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


class _XlsxTable(Table):
    kind = "xlsx"

    def __init__(self, stream: IO[bytes]) -> None:
        # Imported here: only an Excel import pays for loading openpyxl.
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        _check_unpacked_size(stream)
        try:
            self.workbook = openpyxl.load_workbook(
                stream, read_only=True, data_only=True
            )
        except (InvalidFileException, OSError, *_DAMAGED) as exc:
            raise ContactImportError(
                _("The file is not an Excel workbook (.xlsx) that can be read.")
            ) from exc
        try:
            if not self.workbook.worksheets:
                raise _empty()
            sheet = self.workbook.worksheets[0]
            # The sheet's <dimension> is whatever the tool that wrote it claimed:
            # "A1:XFD1048576" in a 5 KB file makes the read-only reader pad every
            # row, present or missing, to 16,384 cells (17 billion conversions, a
            # web worker tied for many minutes). Forgetting it, each row holds only
            # the cells the file has, and a missing row is empty.
            sheet.reset_dimensions()
            self.rows = self._read(sheet)
            for _number, cells in self.rows:
                if any(cell.strip() for cell in cells):
                    self.headers = cells
                    break
            else:
                raise _empty()
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _read(sheet) -> Iterator[tuple[int, list[str]]]:
        """The sheet's rows as text; a damaged part of the workbook (found only when
        the rows are read: they are streamed) as ContactImportError."""
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        number = 0
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except _DAMAGED as exc:
                raise ContactImportError(
                    _("The workbook is damaged after row %(row)s: %(reason)s")
                    % {"row": number, "reason": exc}
                ) from exc
            yield number, _trimmed([_cell_text(value) for value in values])

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self.rows

    def close(self) -> None:
        self.workbook.close()


def _check_unpacked_size(stream: IO[bytes]) -> None:
    """Refuse a workbook whose parts unpack to more than
    CONTACT_IMPORT_MAX_UNPACKED_SIZE bytes (a decompression bomb), from the zip's
    directory alone, before anything is inflated. The declared sizes are a bound
    that holds: zipfile stops reading a part at its declared size. A file that is
    no zip is left to load_workbook to refuse."""
    limit = settings.CONTACT_IMPORT_MAX_UNPACKED_SIZE
    position = stream.tell()
    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, *_DAMAGED):
        return
    finally:
        stream.seek(position)
    if unpacked > limit:
        raise ContactImportError(
            _(
                "The workbook unpacks to %(size)s, more than the %(limit)s an import "
                "reads: save it as CSV, or split it."
            )
            % {"size": filesizeformat(unpacked), "limit": filesizeformat(limit)}
        )


def _trimmed(cells: list[str]) -> list[str]:
    """A sheet row without its trailing empty cells (a formatted but empty column is
    not a value)."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _cell_text(value) -> str:
    """A cell's value as the text the administrator sees in Excel.

    Numbers are written in full: an integer as its digits (a phone number stored as
    a number, 819012345678), a float without a fractional part as an integer (Excel
    stores every number as a float), others as Python writes them ("12.5"). Dates
    and times in ISO 8601; a date with no time of day as the date alone.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
