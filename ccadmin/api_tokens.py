"""Accepting personal API keys: the administration API's authentication.

Framework-agnostic: the API (whatever framework serves it) passes the request's
Authorization header to `authenticate_bearer` and acts as the token's user, with
that user's permissions, tenant and clients (`visible_to(token.user)`). The tokens'
rules are the model's (ccadmin.models.ApiToken); they are made and revoked by
ccadmin.actions, in the admin (Tenancy > API tokens) and by `manage.py api_token`.

Gateway tokens (services.GatewayToken) are another thing, for
`POST /api/interactions/` only: a personal key is not a gateway key, nor the other
way round.
"""

from __future__ import annotations

import functools

from django.utils import timezone

from ccadmin import actions
from ccadmin.keys import hash_key
from ccadmin.models import ApiToken

# The HTTP authentication scheme of personal keys: `Authorization: Bearer <key>`.
AUTH_SCHEME = "Bearer"

# Longer than any key (47 characters): a longer header is refused unhashed.
_MAX_KEY_LENGTH = 200


def key_of(authorization_header: str | None) -> str | None:
    """The personal key in an Authorization header value ("Bearer cca_..."), or
    None: another scheme, no key, or a key that is not a personal one (a gateway
    key has no "cca_" prefix)."""
    scheme, _space, key = (authorization_header or "").strip().partition(" ")
    key = key.strip()
    if scheme.lower() != AUTH_SCHEME.lower() or len(key) > _MAX_KEY_LENGTH:
        return None
    if not key.startswith(ApiToken.KEY_PREFIX):
        return None
    return key


@functools.cache
def _tokens_in_good_standing():
    """ApiToken.objects.usable() less its time, with the user, membership and tenant,
    built once per process: building its joins was a fifth of an API request
    (bench/RESULTS.md, issue 15). Never evaluated itself: each request filters a
    copy (QuerySet.filter clones), so it holds no rows."""
    return (
        ApiToken.objects.in_good_standing()
        .select_related("user__membership__tenant")
        .order_by()  # the hash is unique: no sort needed
    )


def authenticate_bearer(authorization_header: str | None) -> ApiToken | None:
    """The token of a request's `Authorization: Bearer <key>` header, or None.

    The token is returned only while it may be used (ApiTokenQuerySet.usable): not
    revoked, not expired, its person active and, unless a superuser, still a
    member of the tenant the token was made in. It comes with its user, the user's
    membership and tenant, and its own tenant (so `visible_to(token.user)`,
    `tenant_of` and `token.tenant` cost no query more) in one query. Its use is
    noted, at most once a minute (ccadmin.actions.note_api_token_use): a second
    query then, none otherwise.
    """
    key = key_of(authorization_header)
    if key is None:
        return None
    # Looked up by hash: the key itself is never stored, and comparing hashes in the
    # database leaks nothing useful about a key through timing.
    found = list(
        _tokens_in_good_standing()
        .unexpired(timezone.now())
        .filter(key_hash=hash_key(key))[:1]
    )
    if not found:
        return None
    token = found[0]
    if token.tenant_id is not None:
        # usable() matched it to the membership's tenant: the same row, no query.
        token.tenant = token.user.membership.tenant
    actions.note_api_token_use(token)
    return token
