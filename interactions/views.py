"""The HTTP API for telephony and email gateways: `POST /api/interactions/`.

A gateway authenticates with a tenant's gateway token (`Authorization: Bearer <key>`)
and posts one interaction as JSON, with the same fields as a line of a JSON Lines file
(interactions.input). Routing is interactions.routing.route_interaction, as for
the command.
"""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from interactions.input import interaction_from_json
from interactions.routing import InteractionRejected, route_interaction
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


# Gateways are not browsers: they hold no session or CSRF cookie, and the bearer
# token (which a browser never sends by itself) is the authentication.
@csrf_exempt
def receive_interaction(request: HttpRequest) -> JsonResponse:
    """Record one incoming call, chat or email for the token's tenant.

    401 without a valid token, 400 with the errors per field, 201 with the recorded
    ids, 200 with the earlier ids for an email already received (same message id).
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
        data = json.loads(request.body)
    except RequestDataTooBig:
        return JsonResponse({"error": _("The request is too large.")}, status=413)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(
            {"errors": {"__all__": [_("The body is not valid JSON.")]}}, status=400
        )
    try:
        routed = route_interaction(token.tenant, **interaction_from_json(data))
    except InteractionRejected as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    return JsonResponse(routed.as_json(), status=200 if routed.duplicate else 201)
