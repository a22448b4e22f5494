"""Going through the admin's "Import contacts" steps with Django's test client: the
file, the columns, the preview, the import (contacts.import_views)."""

from __future__ import annotations

from django.urls import reverse

IMPORT = reverse("admin:contacts_contact_import")


def token_of(response) -> str:
    """The upload's token, from the redirect of step 1 to the columns step."""
    assert response.status_code == 302, getattr(response, "context", None) and (
        response.context["form"].errors
    )
    return response["Location"].rstrip("/").split("/")[-2]


def map_url(token: str) -> str:
    return reverse("admin:contacts_contact_import_map", args=[token])


def confirm_url(token: str) -> str:
    return reverse("admin:contacts_contact_import_confirm", args=[token])


def chosen(page) -> dict[str, str]:
    """The columns step's choices as the page shows them (suggested or kept)."""
    form = page.context["form"]
    return {
        name: form[name].value() or "" for name in form.fields if name.startswith("col")
    }


def upload(client, data: dict):
    """Step 1: post the file and the options; 302 to the columns, or the form."""
    return client.post(IMPORT, data)


def preview(client, token: str, changes: dict[str, str] | None = None):
    """Steps 2 and 3: the suggested columns, with `changes` (column_N -> field)."""
    page = client.get(map_url(token))
    assert page.status_code == 200
    return client.post(map_url(token), {**chosen(page), **(changes or {})})


def admin_import(client, data: dict, changes: dict[str, str] | None = None):
    """Every step, accepting the suggested columns (and `changes`): the response of
    the import (its report in context["result"]), or of the step that refused."""
    first = upload(client, data)
    if first.status_code != 302:
        return first
    token = token_of(first)
    shown = preview(client, token, changes)
    if "preview" not in (shown.context or {}):
        return shown
    return client.post(confirm_url(token))
