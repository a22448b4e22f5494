"""The API's OpenAPI 3 schema (committed as docs/openapi.yaml) and its docs page,
served with the project's strict Content-Security-Policy and no CDN."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

from tests import factories
from tests.api_helpers import API
from tests.test_security_headers import policy_of

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "openapi.yaml"
REGENERATE = (
    "DEBUG=true .venv/bin/python manage.py spectacular --file docs/openapi.yaml"
)


def current_schema() -> bytes:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiYamlRenderer().render(schema, renderer_context={})


def test_committed_schema_matches_the_code():
    assert COMMITTED.read_bytes() == current_schema(), (
        f"docs/openapi.yaml is out of date with the API: regenerate it with\n"
        f"    {REGENERATE}\nand commit it."
    )


def test_schema_documents_every_route_and_problems(db):
    import yaml

    schema = yaml.safe_load(COMMITTED.read_text())
    paths = schema["paths"]
    for resource in [
        "client-partitions",
        "services",
        "contacts",
        "companies",
        "emails",
        "activities",
        "audit-entries",
    ]:
        assert f"{API}/{resource}/" in paths
    assert {"get", "post"} <= set(paths[f"{API}/client-partitions/"])
    assert {"get", "patch", "delete"} <= set(paths[f"{API}/client-partitions/{{id}}/"])
    assert "post" in paths[f"{API}/interactions/"]
    for url, operations in paths.items():
        for method, operation in operations.items():
            if url == f"{API}/interactions/":
                continue
            problem = operation["responses"]["404"]["content"]
            assert "application/problem+json" in problem, (method, url)


def test_schema_is_served_as_openapi_3(client, db):
    response = client.get(f"{API}/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_docs_page_loads_its_assets_from_this_server_under_the_policy(tenant):
    client = factories.signed_in(factories.administrator(tenant))
    response = client.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.text
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert not [t for t in re.findall(r"<script\b[^>]*>", html) if " src=" not in t]
    nonces = {f"'nonce-{n}'" for n in re.findall(r'<style nonce="([^"]+)"', html)}
    assert nonces and nonces <= set(policy["style-src"])
    for source in sources:
        if source.startswith(settings.STATIC_URL):
            # Shipped by drf-spectacular-sidecar, collected with the admin's files.
            assert finders.find(source.removeprefix(settings.STATIC_URL)), source
        else:
            assert client.get(source).status_code == 200, source
