"""`POST /api/v1/interactions/`: the gateway endpoint (interactions.views), under v1
with the API's errors. The same view records the interactions, so the same rules
and answers; only its errors are told as RFC 9457 problems, as everywhere under
/api/v1/. The old path, /api/interactions/, keeps its own error format for the
gateways already built on it."""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from api.errors import NON_FIELD_KEY, PROBLEM_CONTENT_TYPE, TITLES, problem_body
from interactions.views import receive_interaction

# The headers of the gateway's answer a problem keeps.
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


# Gateways hold no session or CSRF cookie: their bearer token authenticates them.
@csrf_exempt
def receive_interaction_v1(request: HttpRequest) -> HttpResponse:
    """Record incoming calls, chats and emails (interactions.views.receive_interaction),
    answering its errors as problems."""
    response = receive_interaction(request)
    if response.status_code < 400:
        return response
    return as_problem(response)


def as_problem(response: HttpResponse) -> JsonResponse:
    """The gateway's error ({"error": "..."} or {"errors": {field: [...]}}) as a
    problem with the same status, messages and headers."""
    status = response.status_code
    body = json.loads(response.content)
    members = {}
    if "errors" in body:
        errors = {
            (NON_FIELD_KEY if field == "__all__" else field): list(messages)
            for field, messages in body["errors"].items()
        }
        members["errors"] = errors
        if set(errors) == {NON_FIELD_KEY}:
            detail = " ".join(errors[NON_FIELD_KEY])
        else:
            detail = _("Some values are not valid: %(fields)s.") % {
                "fields": ", ".join(sorted(errors))
            }
        kind, title = "validation", _("Invalid input")
    else:
        detail = body.get("error", "")
        kind, title = None, TITLES.get(status, _("Error"))
    problem = JsonResponse(
        problem_body(status, kind, title, detail, **members),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for header in KEPT_HEADERS:
        if header in response:
            problem[header] = response[header]
    return problem
