"""What the administration API (/api/v1/) does with bad bodies and parameters:
a 400 problem that says what is wrong, never a 500, a silent guess or a message
about Python's internals (issue 15, Errors)."""

import json

import pytest

from tests import factories
from tests.api_helpers import API, api_client, problem

pytestmark = pytest.mark.django_db

PARTITIONS = f"{API}/client-partitions/"


@pytest.fixture
def script(tenant, admin_user):
    client = api_client(admin_user)
    # a 500 is answered, not raised, so the test sees what a script would
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("method", ["post", "patch"])
def test_deeply_nested_json_is_a_400_problem(script, tenant, method):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    url = PARTITIONS if method == "post" else f"{PARTITIONS}{acme.pk}/"
    body = "[" * 100000 + "]" * 100000
    response = getattr(script, method)(url, body, content_type="application/json")
    assert "nested deeper than" in problem(response, 400)["detail"]


def test_a_too_long_number_is_named_not_pythons_limit(script):
    body = '{"name": ' + "1" * 5000 + "}"
    response = script.post(PARTITIONS, body, content_type="application/json")
    detail = problem(response, 400)["detail"]
    assert "digits" in detail
    assert "sys." not in detail and "set_int_max_str_digits" not in detail


def test_json_errors_are_in_japanese(script):
    response = script.post(
        PARTITIONS,
        "[" * 50 + "]" * 50,
        content_type="application/json",
        headers={"Accept-Language": "ja"},
    )
    assert "入れ子" in problem(response, 400)["detail"]


def test_a_plain_body_still_works(script):
    response = script.post(
        PARTITIONS, json.dumps({"name": "Acme"}), content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_a_nul_in_a_name_is_one_message(script):
    """The model's rule names the character; DRF's own NUL check would add a
    second message for the same mistake."""
    response = script.post(
        PARTITIONS, json.dumps({"name": "Ac\x00me"}), content_type="application/json"
    )
    assert problem(response, 400)["errors"] == {
        "name": ["Names cannot contain control or invisible characters (U+0000)."]
    }


@pytest.mark.parametrize(
    "path, method, body",
    [
        ("client-partitions/{acme}/", "patch", {"enabeld": False}),
        ("client-partitions/", "post", {"name": "Globex", "limit": 3}),
        ("services/{service}/", "patch", {"client": None}),
        ("contacts/", "post", {"first_name": "Eve", "emial": "eve@example.com"}),
    ],
)
def test_an_unknown_field_is_refused_by_name(script, tenant, path, method, body):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    service = factories.ServiceFactory(tenant=tenant, client_partition=acme)
    before = (
        list(acme.__class__.objects.values()),
        list(service.__class__.objects.values()),
    )
    url = f"{API}/" + path.format(acme=acme.pk, service=service.pk)
    response = getattr(script, method)(
        url, json.dumps(body), content_type="application/json"
    )
    errors = problem(response, 400)["errors"]
    wrong = next(key for key in body if key not in ("name", "first_name"))
    assert errors == {
        wrong: ["Unknown field: this resource has no field of that name."]
    }
    after = (
        list(acme.__class__.objects.values()),
        list(service.__class__.objects.values()),
    )
    assert after == before


def test_unknown_fields_are_named_beside_the_other_errors(script):
    body = {"name": "", "colour": "red"}
    response = script.post(
        PARTITIONS, json.dumps(body), content_type="application/json"
    )
    assert set(problem(response, 400)["errors"]) == {"name", "colour"}


# A wrong reference to the client `pk`: made fractional, true, padded, in other
# digits, wrapped, or too long to be an id.
WRONG_REFERENCES = {
    "fraction": lambda pk: pk + 0.5,
    "float": lambda pk: float(pk),
    "fraction-string": lambda pk: f"{pk}.5",
    "padded": lambda pk: f" {pk}",
    "arabic-digits": lambda pk: "".join(chr(0x0660 + int(d)) for d in str(pk)),
    "true": lambda pk: True,
    "list": lambda pk: [pk],
    "object": lambda pk: {"id": pk},
    "5000-digits": lambda pk: "9" * 5000,
}


@pytest.mark.parametrize("wrong", list(WRONG_REFERENCES))
def test_a_reference_is_a_whole_number_or_its_digits(script, tenant, wrong):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    service = factories.ServiceFactory(tenant=tenant)
    reference = WRONG_REFERENCES[wrong](acme.pk)
    response = script.patch(
        f"{API}/services/{service.pk}/",
        json.dumps({"client_partition": reference}),
        content_type="application/json",
    )
    assert "client_partition" in problem(response, 400)["errors"]
    service.refresh_from_db()
    assert service.client_partition_id is None


@pytest.mark.parametrize("reference", [int, str])
def test_an_id_or_its_digits_is_a_reference(script, tenant, reference):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    service = factories.ServiceFactory(tenant=tenant)
    response = script.patch(
        f"{API}/services/{service.pk}/",
        json.dumps({"client_partition": reference(acme.pk)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    service.refresh_from_db()
    assert service.client_partition_id == acme.pk


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5},
        {"name": 5.5},
        {"name": ["Acme"]},
        {"name": "Acme", "description": 7},
        {"name": "Acme", "enabled": "yes"},
        {"name": "Acme", "enabled": 1},
    ],
)
def test_text_is_a_string_and_a_flag_true_or_false(script, body):
    response = script.post(
        PARTITIONS, json.dumps(body), content_type="application/json"
    )
    wrong = next(key for key, value in body.items() if value != "Acme")
    assert list(problem(response, 400)["errors"]) == [wrong]
    assert not script.get(PARTITIONS).json()["results"]


def test_a_contacts_text_is_a_string(script):
    body = {"first_name": "Eve", "phone": 819012345678}
    response = script.post(
        f"{API}/contacts/", json.dumps(body), content_type="application/json"
    )
    assert list(problem(response, 400)["errors"]) == ["phone"]
