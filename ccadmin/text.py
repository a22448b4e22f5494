"""Rules for names typed by administrators: partitions, services, companies."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# U+200D ZERO WIDTH JOINER builds emoji sequences (family, profession emoji) that real
# client names may contain; every other format character (bidi overrides, zero-width
# spaces, BOM) is refused because it makes two names that look the same differ.
_ALLOWED_FORMAT_CHARS = {"\u200d"}


def normalize_name(value: str) -> str:
    """Return a typed name the way it is stored: NFKC-normalised, trimmed.

    NFKC folds full-width Latin letters and half-width katakana into their usual forms,
    so "ＡＣＭＥ" and "ACME" are the same client, as a Japanese administrator expects.
    """
    return unicodedata.normalize("NFKC", value).strip()


def name_key(value: str) -> str:
    """Return the comparison key of a name: normalised and case-folded."""
    return normalize_name(value).casefold()


def validate_printable_name(value: str) -> None:
    """Refuse names holding control characters, NUL or invisible format characters."""
    for char in value:
        category = unicodedata.category(char)
        invisible = category == "Cf" and char not in _ALLOWED_FORMAT_CHARS
        if category == "Cc" or invisible:
            raise ValidationError(
                _(
                    "Names cannot contain control or invisible characters "
                    "(U+%(code)04X)."
                )
                % {"code": ord(char)},
                code="invisible_character",
            )
