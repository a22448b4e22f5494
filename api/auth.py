"""Who calls the API: the person whose personal API token is in
`Authorization: Bearer <key>` (ccadmin.api_tokens), with their permissions, tenant
and clients, exactly as if they were signed in to the admin."""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from ccadmin.api_tokens import AUTH_SCHEME, authenticate_bearer


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` of a personal API token. A request with no such
    header is left to the next class (a signed-in browser on the docs page); a key
    that is wrong, expired or revoked is refused with 401."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.split(" ", 1)[0].lower() != AUTH_SCHEME.lower():
            return None
        token = authenticate_bearer(header)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The API token is missing, wrong, expired or revoked.")
            )
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request with no credentials.
        return f'{AUTH_SCHEME} realm="api"'
