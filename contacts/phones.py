"""Phone numbers as the contact center stores and matches them."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Spaces, dashes, dots and brackets are how people write numbers ("03-1234-5678",
# "+81 (90) 1234 5678"); they carry no meaning for matching a caller.
SEPARATORS = re.compile(r"[\s\-.()/]")
_PHONE = re.compile(r"\+?\d{3,20}")


def normalize_phone(value: str) -> str:
    """Return a phone number as stored: digits with an optional leading "+".

    Raises ValidationError for anything else. Hand-written rather than with the
    `phonenumbers` library: callers' numbers arrive without a reliable region, and
    matching a caller to a contact needs only a canonical form, not validation
    against numbering plans.
    """
    compact = SEPARATORS.sub("", value or "")
    if not _PHONE.fullmatch(compact):
        raise ValidationError(
            _("Enter a phone number of 3 to 20 digits, optionally starting with +."),
            code="invalid_phone",
        )
    return compact
