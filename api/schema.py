"""The OpenAPI 3 schema (drf-spectacular), with every error a view can answer
documented as a problem (api.errors), so that a client, and schemathesis's
conformance check, find every status code the API sends."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from api.errors import PROBLEM_CONTENT_TYPE, ProblemSerializer

# Errors every operation may answer: bad input (query, body, cursor), no or a bad
# token, a missing permission, not found (or another tenant's), a method or an
# Accept header it does not serve.
COMMON_ERRORS = ("400", "401", "403", "404", "405", "406")
# Operations with a request body may also be sent something other than JSON.
BODY_ERRORS = ("415",)
ERROR_DESCRIPTIONS = {
    "400": "Invalid input, query parameter or cursor (problem details, with "
    "`errors` per field).",
    "401": "No personal API token, or one that is wrong, expired or revoked.",
    "403": "The token's person lacks the permission (the admin's).",
    "404": "Not found, or not the caller's to see.",
    "405": "Method not allowed.",
    "406": "Not acceptable (Accept header).",
    "415": "The body is not JSON.",
}


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's schema with the problem responses added to each operation;
    a view documents further ones (409) with extend_schema."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = COMMON_ERRORS
        if self.method in ("POST", "PUT", "PATCH"):
            codes += BODY_ERRORS
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM_CONTENT_TYPE]
                )
                responses[code]["description"] = ERROR_DESCRIPTIONS[code]
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The personal API token in the schema: `Authorization: Bearer <key>`."""

    target_class = "api.auth.BearerTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token: manage.py api_token create --user U, "
            "or the admin's Tenancy > API tokens.",
        }


# The gateway endpoint's alias is the gateway view itself (interactions.views, a
# plain Django view with its own answers, not problems): described here by hand.
_JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}
INTERACTIONS_OPERATION = {
    "operationId": "interactions_create",
    "summary": "Record incoming calls, chats and emails (gateways)",
    "description": (
        "The gateway endpoint /api/interactions/ under v1: one interaction (a JSON "
        "object) or a batch (an array of at most 500). Authenticated with a "
        "tenant's gateway token, not a personal token. 201 with the recorded ids, "
        '200 for an email already received or for a batch ({"results": [...]}), '
        "400 with the errors per field, 401 without a valid gateway token."
    ),
    "tags": ["interactions"],
    "security": [{"gatewayToken": []}],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "object"},
                        {"type": "array", "items": {"type": "object"}},
                    ]
                }
            }
        },
    },
    "responses": {
        code: {"description": text, "content": _JSON_OBJECT}
        for code, text in [
            ("200", "Already received, or a batch's results."),
            ("201", "Recorded."),
            ("400", "Invalid input, with the errors per field."),
            ("401", "No valid gateway token."),
            ("405", "Not a POST."),
        ]
    },
}


def add_interactions_alias(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK: document POST /api/v1/interactions/."""
    result["paths"]["/api/v1/interactions/"] = {"post": INTERACTIONS_OPERATION}
    schemes = result.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["gatewayToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A gateway token of the tenant (Services > Gateway tokens).",
    }
    return result
