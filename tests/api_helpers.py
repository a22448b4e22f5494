"""How the API tests call the API: as a script holding a person's credentials."""

from django.test import Client

API = "/api/v1"


def api_client(user) -> Client:
    """A client calling the API as `user`."""
    client = Client()
    client.force_login(user)
    return client


def problem(response, status: int) -> dict:
    """The problem (RFC 9457) a response holds, checked to be one with `status`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body
