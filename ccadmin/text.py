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


class TypedName:
    """A model whose `name` an administrator types (client partition, service,
    company): one rule for all of them. Normalise, then require, then ask the model's
    own uniqueness question (`name_taken_message`). The model's clean() calls
    `clean_name()`; the field keeps `validate_printable_name` as its validator.
    """

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        # clean_name() needs to know which checks full_clean has already made of the
        # name: a form that refused it leaves it out (exclude).
        self._full_clean_exclude = set(exclude or ())
        try:
            super().full_clean(exclude, validate_unique, validate_constraints)
        finally:
            del self._full_clean_exclude

    def name_taken_message(self, name: str) -> str | None:
        """The model's uniqueness question: the message saying `name` is already
        used, or None. By default a name need not be unique (companies), or a database
        constraint answers it (services)."""
        return None

    def clean_name(self) -> None:
        """Refuse the name empty or already used. It is already in its stored form:
        the model's normalize() (ccadmin.normalized) runs before clean()."""
        if "name" in getattr(self, "_full_clean_exclude", ()):
            # A form has already refused the name itself (e.g. NUL): saying "Name is
            # mandatory" as well would be wrong.
            return
        if not self.name:
            raise ValidationError({"name": _("Name is mandatory.")}, code="required")
        try:
            # Checked before the uniqueness question: PostgreSQL refuses NUL in a
            # query. The field's own validator reports it, once.
            validate_printable_name(self.name)
        except ValidationError:
            return
        taken = self.name_taken_message(self.name)
        if taken:
            raise ValidationError({"name": taken}, code="unique")
