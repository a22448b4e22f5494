"""Times that came from outside (an email's Date header, a gateway's occurred_at),
stored and shown safely.

Python's datetime stops at the years 1 and 9999: converting a stored instant near
either end to the viewer's time zone (Django's `localtime()`, which the admin lists,
the admin forms and the templates all call) raises OverflowError, and every page that
lists that row answers 500 (issue 10). Input refuses such times
(interactions/input.py); this field is the second defence for rows already stored.
"""

import datetime
import zoneinfo

from django.db import models
from django.utils import timezone

# No time zone is a whole day away from UTC: a day's margin at each end leaves room
# for any conversion (historical local mean times included).
_MARGIN = datetime.timedelta(days=1)
EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC) + _MARGIN
LATEST = datetime.datetime.max.replace(tzinfo=datetime.UTC) - _MARGIN


def displayable(value: datetime.datetime | None) -> datetime.datetime | None:
    """`value` moved inside the range every time zone can display: an instant within
    a day of year 1 or year 9999 becomes that day's edge; others are unchanged."""
    if value is None:
        return None
    # Comparing aware times subtracts their offsets as timedeltas, which (unlike
    # astimezone) cannot overflow. A naive value is UTC, as the database returns it.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
    if aware < EARLIEST:
        return EARLIEST
    if aware > LATEST:
        return LATEST
    return value


class DisplayableDateTimeField(models.DateTimeField):
    """A DateTimeField whose values read from the database can always be shown in
    any time zone (see `displayable`); stored values are not changed."""

    def from_db_value(self, value, expression, connection):
        return displayable(value)

    def deconstruct(self):
        # The column is an ordinary timestamp: migrations see a DateTimeField, so
        # switching a field to this one needs none.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs


def local_iso(value: datetime.datetime | None, zone: str | None = None) -> str:
    """`value` as ISO 8601 with its offset, in `zone` (an IANA name; None: the active
    zone): 2026-12-01T09:45:00+09:00. What exports write, so a spreadsheet shows
    the contact center's own time and any tool reads the exact instant back."""
    if value is None:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    tz = zoneinfo.ZoneInfo(zone) if zone else timezone.get_current_timezone()
    return value.astimezone(tz).isoformat()
