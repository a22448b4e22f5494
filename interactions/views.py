"""The HTTP API for telephony and email gateways: `POST /api/interactions/`.

A gateway authenticates with a tenant's gateway token (`Authorization: Bearer <key>`)
and posts one interaction as JSON, with the same fields as a line of a JSON Lines file
(interactions.input), or a batch of them as a JSON array
(interactions.routing.route_interactions). Routing is
interactions.routing.route_interaction, as for the command.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from interactions.input import interaction_from_json, load_json
from interactions.routing import (
    InteractionRejected,
    route_interaction,
    route_interactions,
)
from services import actions
from services.models import GatewayToken, hash_gateway_key


def authenticated_gateway(request: HttpRequest) -> GatewayToken | None:
    """The active gateway token the request's bearer key belongs to, or None."""
    scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return None
    # Looked up by hash: the key itself is never stored, and comparing hashes in the
    # database leaks nothing useful about a key through timing.
    return (
        GatewayToken.objects.select_related("tenant")
        .filter(key_hash=hash_gateway_key(key), active=True)
        .first()
    )


# At most this many interactions in one POST: a gateway's batch, answered in one
# transaction (issue 10), short enough not to hold clients' share locks for long.
BATCH_MAX = 500


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"errors": {"__all__": [message]}}, status=400)


# Gateways are not browsers: they hold no session or CSRF cookie, and the bearer
# token (which a browser never sends by itself) is the authentication.
@csrf_exempt
def receive_interaction(request: HttpRequest) -> JsonResponse:
    """Record incoming calls, chats and emails for the token's tenant.

    The body is one interaction (a JSON object) or a batch (a JSON array of at most
    BATCH_MAX objects). One: 201 with the recorded ids, 200 with the earlier ids for
    an email already received (same message id), 400 with the errors per field. A
    batch: 200 with {"results": [...]}, one per item in order, each with its own
    "status" (201, 200 or 400) and the fields of the answer to one. 401 without a
    valid token; 400 for a body that is too large, not JSON or nested too deep.
    """
    if request.method != "POST":
        response = JsonResponse({"error": _("Use POST.")}, status=405)
        response["Allow"] = "POST"
        return response
    token = authenticated_gateway(request)
    if token is None:
        response = JsonResponse(
            {"error": _("A valid gateway token is required.")}, status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="interactions"'
        return response
    actions.note_gateway_token_use(token)
    try:
        # The same rule as the command's JSON Lines (interactions.input.load_json):
        # not UTF-8, not JSON or nested too deep is a 400, never a RecursionError.
        data = load_json(request.body)
    except RequestDataTooBig:
        return _bad_request(
            _("The request is larger than %(max)s bytes: send fewer interactions.")
            % {"max": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    except InteractionRejected as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    if isinstance(data, list):
        return _receive_batch(token.tenant, data)
    try:
        routed = route_interaction(token.tenant, **interaction_from_json(data))
    except InteractionRejected as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    return JsonResponse(routed.as_json(), status=200 if routed.duplicate else 201)


def _receive_batch(tenant, items: list) -> JsonResponse:
    """Route a batch; answer each item in order with its own status."""
    if len(items) > BATCH_MAX:
        return _bad_request(
            _(
                "A batch holds at most %(max)s interactions; this one has %(count)s. "
                "Split it."
            )
            % {"max": BATCH_MAX, "count": len(items)}
        )
    outcomes: list = [None] * len(items)
    parsed: dict[int, dict] = {}
    for index, item in enumerate(items):
        try:
            parsed[index] = interaction_from_json(item)
        except InteractionRejected as exc:
            outcomes[index] = exc
    routed = route_interactions(tenant, list(parsed.values()))
    for index, outcome in zip(parsed, routed, strict=True):
        outcomes[index] = outcome
    results = [
        {"status": 400, "errors": outcome.errors}
        if isinstance(outcome, InteractionRejected)
        else {"status": 200 if outcome.duplicate else 201, **outcome.as_json()}
        for outcome in outcomes
    ]
    return JsonResponse({"results": results}, status=200)
