"""How the API tests call the API: as a script holding a person's API token."""

from django.test import Client

from tests import factories

API = "/api/v1"


def bearer(user) -> dict[str, str]:
    """The headers of a script holding a new personal API token of `user`."""
    _token, key = factories.api_token(user)
    return {"Authorization": f"Bearer {key}"}


def api_client(user) -> Client:
    """A client calling the API with a personal API token of `user` (no session,
    no cookie: what a script sends)."""
    return Client(headers=bearer(user))


def problem(response, status: int) -> dict:
    """The problem (RFC 9457) a response holds, checked to be one with `status`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body
