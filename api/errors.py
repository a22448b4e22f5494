"""Every error of the API as an RFC 9457 problem: `application/problem+json` with
`type`, `title`, `status`, `detail`, and `errors` (a list of messages per field) for
invalid input; some problems add members of their own (the counts of a delete to
confirm, the usage at the limit).

DRF's exception handler is replaced here, once, so that every view answers the same
way, whatever raised: DRF's own exceptions, Django's (Http404, PermissionDenied,
ValidationError from the apps' actions and models), or a Problem raised by a view.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.response import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are URNs: they name the kind of problem without pretending to be a
# page someone could open (RFC 9457 allows any URI; "about:blank" for plain HTTP
# statuses, whose title is the status's own).
TYPE_PREFIX = "urn:ccadmin:problem:"
# The key of errors that belong to no one field (Django's NON_FIELD_ERRORS).
NON_FIELD_KEY = "non_field_errors"

TITLES = {
    400: gettext_lazy("Invalid request"),
    401: gettext_lazy("Authentication required"),
    403: gettext_lazy("Permission denied"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    415: gettext_lazy("Unsupported media type"),
    429: gettext_lazy("Too many requests"),
}


class Problem(exceptions.APIException):
    """An error a view answers with: its status, a short `kind` (the problem type's
    last part), a title, a detail sentence, and any extra members."""

    def __init__(
        self, status: int, kind: str, title: str, detail: str, **members
    ) -> None:
        self.status_code = status
        self.kind = kind
        self.title = title
        self.members = members
        super().__init__(detail)


def problem_body(status: int, kind: str | None, title: str, detail: str, **members):
    """The problem's JSON object."""
    return {
        "type": f"{TYPE_PREFIX}{kind}" if kind else "about:blank",
        "title": str(title),
        "status": status,
        "detail": str(detail),
        **members,
    }


def problem_response(status: int, kind: str | None, title, detail, **members):
    """A DRF Response holding a problem."""
    return Response(
        problem_body(status, kind, title, detail, **members),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def field_errors(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as one list of messages per field: nested fields
    are named with dots ("items.0.name")."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), inner)
        else:
            messages = value if isinstance(value, list) else [value]
            key = prefix or NON_FIELD_KEY
            flat.setdefault(key, []).extend(str(m) for m in messages)

    walk("", detail)
    return flat


def validation_problem(errors: dict[str, list[str]]):
    """400 with the messages per field."""
    fields = ", ".join(sorted(errors))
    return problem_response(
        400,
        "validation",
        _("Invalid input"),
        _("Some values are not valid: %(fields)s.") % {"fields": fields},
        errors=errors,
    )


def django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A model's or action's ValidationError as messages per field."""
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD_KEY if key == NON_FIELD_ERRORS else key): list(messages)
            for key, messages in exc.message_dict.items()
        }
    return {NON_FIELD_KEY: list(exc.messages)}


def problem_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: any exception a view raises, as a problem. Returns
    None (a 500, logged) only for a genuine bug."""
    if isinstance(exc, Problem):
        return problem_response(
            exc.status_code, exc.kind, exc.title, exc.detail, **exc.members
        )
    if isinstance(exc, DjangoValidationError):
        return validation_problem(django_validation_errors(exc))
    if isinstance(exc, exceptions.ValidationError):
        return validation_problem(field_errors(exc.detail))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args[:1] or ()))
    if not isinstance(exc, exceptions.APIException):
        return None
    status = exc.status_code
    detail = exc.detail
    if isinstance(detail, list | dict):
        detail = " ".join(
            message
            for messages in field_errors(detail).values()
            for message in messages
        )
    response = problem_response(
        status, None, TITLES.get(status, _("Error")), str(detail)
    )
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait))
    return response


def not_found(request, *args, **kwargs):
    """Any path under /api/v1/ that names no resource: a 404 problem, not the HTML
    page of the rest of the site."""
    status = 404
    return JsonResponse(
        problem_body(
            status,
            None,
            TITLES[status],
            _("There is no API resource at this address."),
        ),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


class ProblemSerializer(serializers.Serializer):
    """The shape of every error (RFC 9457), for the schema."""

    type = serializers.CharField(help_text="A URN naming the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field, for invalid input.",
    )
