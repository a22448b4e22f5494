"""Models whose typed values have one stored form, which no writer can skip.

An address typed " Taro.Yamada@Example.COM " and a phone typed "090-1111-2222" must be
stored the way routing and searches match them, whoever writes the row: the admin, the
agent desktop, the importer or routing. So the rule lives in the model, in one method,
`normalize()`, called before the field checks (`clean_fields`, part of `full_clean`),
from `clean()` and from `save()`; the bulk inserts that skip `save()` call it per row
(ccadmin.bulk.insert_all).
"""

from django.core.exceptions import ValidationError
from django.db import models


class NormalizedModel(models.Model):
    """A model whose `normalize()` brings typed values to their stored form."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.normalize()
        errors = self.unstorable_values()
        if errors:
            # Only a caller that skipped full_clean() gets here: refuse, rather than
            # store a value nothing will ever match.
            raise ValidationError(errors)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None) -> None:
        # Normalised before the field checks, so they check what will be stored: an
        # address typed with spaces around it is valid once they are gone.
        self.normalize()
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        self.normalize()
        errors = self.unstorable_values()
        if errors:
            raise ValidationError(errors)

    def normalize(self) -> None:
        """Bring every typed value to its stored form, in place.

        Never raises: a value with no stored form (a phone that is not a phone) is left
        as typed, for `clean()` to report on its field and `save()` to refuse.
        """

    def unstorable_values(self) -> dict[str, list[str]]:
        """Errors, by field, for values `normalize()` could not bring to a stored
        form; empty when every value is storable."""
        return {}
