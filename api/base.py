"""What every resource of the API shares: rows scoped exactly as in the admin
(`visible_to`), ids that cannot overflow, and query parameters checked, not
guessed: an unknown or malformed one is a 400 problem, never ignored or a 500."""

import functools
from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets

from api.errors import Problem, field_errors
from ccadmin.text import validate_printable_name

# Primary keys in a URL: at most 18 digits, below a bigint's largest value (and
# SQLite's), so a huge id is simply not found instead of overflowing.
ID_PATTERN = r"[0-9]{1,18}"
# Query parameters of the cursor pagination (api.pagination), on every list.
PAGE_PARAMETERS = frozenset({"cursor", "limit"})
SEARCH_MAX_LENGTH = 200
# At most this many unknown fields or parameters are named in one error.
MAX_REPORTED_FIELDS = 20


class PageParameters(serializers.Serializer):
    """`limit`, checked, for the lists' documentation and validation."""

    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=500, help_text="Rows per page (50)."
    )
    cursor = serializers.CharField(
        required=False, help_text="From the previous page's next or previous link."
    )


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset over the rows of `model` the caller may see (visible_to), read
    with the caller's model permissions (api.permissions).

    `filters` is a serializer of the list's query parameters; `query_parameters`
    names the other actions' ones. Anything else in the query string is refused.
    """

    model = None
    filters: type[serializers.Serializer] | None = None
    query_parameters: dict[str, frozenset[str]] = {}
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).order_by("pk")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        allowed = set(self.query_parameters.get(self.action, frozenset()))
        if self.action == "list":
            allowed |= PAGE_PARAMETERS
            if self.filters is not None:
                allowed |= set(self.filters().fields)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise Problem(
                400,
                "unknown-parameter",
                _("Unknown query parameter"),
                _("This address takes no parameter named %(names)s.")
                % {"names": ", ".join(unknown)},
                errors={
                    name: [_("Unknown query parameter.")]
                    for name in unknown[:MAX_REPORTED_FIELDS]
                },
            )
        if self.action == "list":
            self.validated_filters = self.read_query(
                self.filters or serializers.Serializer, with_pages=True
            )

    def read_query(self, serializer_class, *, with_pages: bool = False) -> dict:
        """The query string checked by `serializer_class`: 400 with the messages
        per parameter when a value is wrong or given twice."""
        data = {}
        errors = {}
        for name, values in self.request.query_params.lists():
            if len(values) > 1:
                errors[name] = [_("Give this parameter once.")]
            data[name] = values[-1]
        checked = serializer_class(data=data)
        valid = checked.is_valid()
        if with_pages:
            pages = PageParameters(data=data)
            if not pages.is_valid():
                errors.update(field_errors(pages.errors))
        if not valid:
            errors.update(field_errors(checked.errors))
        if errors:
            raise Problem(
                400,
                "invalid-parameter",
                _("Invalid query parameter"),
                _("Some query parameters are not valid: %(names)s.")
                % {"names": ", ".join(sorted(errors))},
                errors=errors,
            )
        return checked.validated_data


@functools.cache
def row_serializer(serializer_class: type[serializers.Serializer]):
    """One serializer of `serializer_class` per process, whose fields are built once.

    DRF builds a ModelSerializer's fields anew for every serializer it makes, from
    the model's fields and Meta: on a list page of small rows that was a third of
    the serialising (bench/RESULTS.md, issue 15). The fields of a serializer that
    needs no request (no hyperlinks, no context) are the same for every request and
    keep no state while they represent a row, so a list can reuse them. The output
    is the serializer's own to_representation: the same JSON as a fresh one.
    """
    return serializer_class()


def represent_rows(serializer_class, rows) -> list[dict]:
    """The rows of a list page as `serializer_class` represents each of them (with
    fields built once per process: row_serializer)."""
    serializer = row_serializer(serializer_class)
    return [serializer.to_representation(row) for row in rows]


def search_field(help_text: str) -> serializers.CharField:
    """A `search` query parameter: words to look for, at most 200 characters."""
    return serializers.CharField(
        required=False, max_length=SEARCH_MAX_LENGTH, help_text=help_text
    )


class TextField(serializers.CharField):
    """Text, given as a JSON string: DRF would turn {"name": 5} into "5", a
    number sent by mistake stored as a name."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class FlagField(serializers.BooleanField):
    """A yes/no given as JSON true or false: DRF would also take 1, "0", "on" or
    "no", guessing what a script meant."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class NameField(TextField):
    """A name typed by an administrator, checked by the model's own rule
    (ccadmin.text.validate_printable_name, which names the character). DRF's
    own NUL check is dropped: one mistake, one message."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v
            for v in self.validators
            if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class CheckedModelSerializer(serializers.ModelSerializer):
    """The API's model serializers: what the admin's forms check, said once per
    mistake."""

    def to_internal_value(self, data):
        # A misspelt field ("enabeld") is a mistake to report, not a no-op that
        # answers 200 with nothing changed.
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {
                str(key)[:100]: [
                    _("Unknown field: this resource has no field of that name.")
                ]
                for key in list(data)
                if key not in self.fields
            }
            # A body may hold thousands of keys: the first ones are enough to say it.
            unknown = dict(sorted(unknown.items())[:MAX_REPORTED_FIELDS])
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                exc.detail.update(unknown)
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if validate_printable_name in getattr(model_field, "validators", ()):
            field_class = NameField
        elif field_class is serializers.CharField:
            field_class = TextField
        elif field_class is serializers.BooleanField:
            field_class = FlagField
        return field_class, kwargs
