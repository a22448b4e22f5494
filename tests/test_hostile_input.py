"""Hostile and bad input: each case gets a clear error and nothing is lost or changed.

Names (at most ClientPartition.NAME_MAX_LENGTH = 80 characters): the one table of
good and bad client partition names, through partitions.actions, the admin's add and
change forms and the command; markup and quotes in every displayed field,
escaped in the admin, the confirmation page, the agent pages and JSON; malformed
CSV, JSON and email input; uploads over the documented caps.
"""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from contacts.models import Activity, Contact
from partitions import actions
from partitions.models import NAME_MAX_LENGTH, ClientPartition
from tests import factories
from tests.import_steps import admin_import

ADD = reverse("admin:partitions_clientpartition_add")

# name -> the words of the error it gets (None: accepted as given).
NAMES = {
    "empty": ("", "required"),
    "whitespace": ("  \t  ", "required"),
    "81-characters": ("x" * 81, "at most 80 characters"),
    "nul": ("Acme\x00Corp", "Null characters are not allowed"),
    "control-character": ("Acme\x07", "control or invisible"),
    "newline": ("Acme\nCorp", "control or invisible"),
    "right-to-left-override": ("Ac\u202eme", "control or invisible"),
    "zero-width-space": ("Ac\u200bme", "control or invisible"),
    "byte-order-mark": ("\ufeffAcme Corp", "control or invisible"),
    "duplicate-in-other-case": ("GLOBEX", "already exists"),
    "duplicate-full-width": ("Ｇｌｏｂｅｘ", "already exists"),
    "duplicate-decomposed": ("Cafe\u0301 Tokyo", "already exists"),
    "duplicate-with-spaces": ("  Globex  ", "already exists"),
    "80-characters": ("x" * NAME_MAX_LENGTH, None),
    "japanese": ("さくら銀行", None),
    "emoji": ("🍣 Sushi Co", None),
    "emoji-with-joiner": ("👩\u200d💻 Dev Desk", None),
    "script-tag": ("<script>alert(1)</script>", None),
    "attribute-breaking-quotes": ('Acme" onmouseover="alert(1)', None),
}


@pytest.fixture
def existing(tenant):
    """Partitions whose names the duplicates imitate."""
    return [
        factories.ClientPartitionFactory(tenant=tenant, name="Globex"),
        factories.ClientPartitionFactory(tenant=tenant, name="Café Tokyo"),
    ]


def state(tenant) -> list[dict]:
    return list(ClientPartition.objects.filter(tenant=tenant).order_by("pk").values())


# Outside a form, the model's own words: no form says "required", and the model's
# validator names the invisible character.
MODEL_WORDS = {
    "required": "mandatory",
    "Null characters are not allowed": "invisible characters (U+0000)",
}


def added_or_refused(tenant, name: str, error, add, refusal: type[Exception]):
    """Add a client named `name` by `add()`: with no expected error it is there
    afterwards (None is returned); otherwise `refusal` is raised, nothing changes,
    and the exception is returned for the caller's checks of its words."""
    before = state(tenant)
    if error is None:
        add()
        assert ClientPartition.objects.filter(tenant=tenant, name=name).exists()
        return None
    with pytest.raises(refusal) as refused:
        add()
    assert state(tenant) == before
    return refused.value


@pytest.mark.parametrize("case", list(NAMES))
def test_name_in_action(tenant, admin_user, existing, case):
    name, error = NAMES[case]
    refused = added_or_refused(
        tenant,
        name,
        error,
        lambda: actions.create_client_partition(
            ClientPartition(tenant=tenant, name=name), actor=admin_user
        ),
        ValidationError,
    )
    if refused is not None:
        errors = refused.message_dict["name"]
        # The model's field check adds a second error to a blank name ("cannot be
        # blank", or the tab's "control character"): only the form shows just one.
        assert sum(MODEL_WORDS.get(error, error) in e for e in errors) == 1, errors


@pytest.mark.parametrize("case", list(NAMES))
def test_name_in_admin_add(admin_client, tenant, existing, case):
    name, error = NAMES[case]
    before = state(tenant)
    response = admin_client.post(
        ADD, {"name": name, "description": "", "enabled": "on"}
    )
    if error is None:
        assert response.status_code == 302
        assert ClientPartition.objects.filter(tenant=tenant, name=name).exists()
    else:
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["name"]
        assert sum(error in e for e in errors) == 1, errors
        assert len(errors) == 1, errors  # one clear error, not two
        assert state(tenant) == before


@pytest.mark.parametrize("case", [c for c, (_n, e) in NAMES.items() if e])
def test_bad_name_in_admin_change_changes_nothing(admin_client, tenant, existing, case):
    name, error = NAMES[case]
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Initech")
    before = state(tenant)
    url = reverse("admin:partitions_clientpartition_change", args=[partition.pk])
    response = admin_client.post(url, {"name": name, "enabled": "on"})
    assert response.status_code == 200
    assert error in " ".join(response.context["adminform"].form.errors["name"])
    assert state(tenant) == before


@pytest.mark.parametrize("case", list(NAMES))
def test_name_in_command(tenant, existing, case):
    name, error = NAMES[case]
    refused = added_or_refused(
        tenant,
        name,
        error,
        lambda: call_command(
            "partitions",
            "add",
            "--tenant",
            tenant.slug,
            "--name",
            name,
            stdout=StringIO(),
            stderr=StringIO(),
        ),
        CommandError,
    )
    if refused is not None:
        message = str(refused)
        assert "\n" not in message.strip()
        assert message.count(MODEL_WORDS.get(error, error)) == 1, message


@pytest.mark.parametrize(
    ("length", "accepted"), [(4000, True), (4001, False)], ids=["4000", "4001"]
)
def test_description_length(admin_client, tenant, length, accepted):
    response = admin_client.post(ADD, {"name": "Acme", "description": "d" * length})
    assert ClientPartition.objects.filter(name="Acme").exists() is accepted
    if not accepted:
        assert "at most 4000 characters" in str(
            response.context["adminform"].form.errors["description"]
        )


# ----- markup and quotes in every displayed field ------------------------------------

SCRIPT = "<script>alert('x')</script>"
QUOTES = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def hostile(tenant):
    """A client, service, company and contact whose every displayed text is markup."""
    partition = factories.ClientPartitionFactory(
        tenant=tenant, name=f"{SCRIPT}{QUOTES}"[:80], description=f"{SCRIPT} {QUOTES}"
    )
    company = factories.CompanyFactory(
        tenant=tenant, partition=partition, name=f"{QUOTES} Co"
    )
    contact = factories.ContactFactory(
        tenant=tenant,
        partition=partition,
        company=company,
        first_name=SCRIPT[:100],
        last_name=QUOTES,
        title=SCRIPT,
    )
    service = factories.ServiceFactory(
        tenant=tenant, name=f"{QUOTES} Line", client_partition=partition
    )
    email = factories.EmailFactory(
        tenant=tenant, partition=partition, contact=contact, subject=SCRIPT,
        body=QUOTES, sender=f"{QUOTES} <a@example.com>", service=service,
    )  # fmt: skip
    factories.ActivityFactory(
        tenant=tenant, partition=partition, contact=contact, email=email,
        service=service, summary=SCRIPT,
    )  # fmt: skip
    return {"partition": partition, "contact": contact, "service": service}


def assert_escaped(text: str) -> None:
    assert "<script>alert" not in text
    assert "<img src=x" not in text
    assert '"><img src=x' not in text
    assert "&lt;script&gt;" in text or "&lt;img src=x" in text


ADMIN_PAGES = {
    "partition-list": lambda h: reverse("admin:partitions_clientpartition_changelist"),
    "partition-change": lambda h: reverse(
        "admin:partitions_clientpartition_change", args=[h["partition"].pk]
    ),
    "partition-delete-confirmation": lambda h: reverse(
        "admin:partitions_clientpartition_delete", args=[h["partition"].pk]
    ),
    "partition-history": lambda h: reverse(
        "admin:partitions_clientpartition_history", args=[h["partition"].pk]
    ),
    "service-list": lambda h: reverse("admin:services_service_changelist"),
    "service-change": lambda h: reverse(
        "admin:services_service_change", args=[h["service"].pk]
    ),
    "contact-list": lambda h: reverse("admin:contacts_contact_changelist"),
    "contact-change": lambda h: reverse(
        "admin:contacts_contact_change", args=[h["contact"].pk]
    ),
    "email-list": lambda h: reverse("admin:contacts_email_changelist"),
    "activity-list": lambda h: reverse("admin:contacts_activity_changelist"),
    "company-list": lambda h: reverse("admin:contacts_company_changelist"),
    "audit-trail": lambda h: reverse("admin:ccadmin_auditentry_changelist"),
}


@pytest.mark.parametrize("page", list(ADMIN_PAGES))
def test_markup_is_escaped_in_the_admin(admin_client, admin_user, hostile, page):
    from ccadmin import audit

    audit.log_addition(admin_user, hostile["partition"])
    response = admin_client.get(ADMIN_PAGES[page](hostile))
    assert response.status_code == 200
    assert_escaped(response.text)


AGENT_PAGES = {
    "desktop": lambda h: (
        reverse("agent:desktop") + f"?client_partition={h['partition'].pk}"
    ),
    "contact": lambda h: reverse("agent:contact", args=[h["contact"].pk]),
    "new-contact": lambda h: (
        reverse("agent:new_contact") + f"?client_partition={h['partition'].pk}"
    ),
}


@pytest.mark.parametrize("page", list(AGENT_PAGES))
def test_markup_is_escaped_on_the_agent_pages(tenant, hostile, page):
    client = Client()
    client.force_login(factories.agent(tenant))
    response = client.get(AGENT_PAGES[page](hostile))
    assert response.status_code == 200
    assert_escaped(response.text)


def test_markup_in_json_is_data_not_html(tenant, hostile):
    client = Client()
    client.force_login(factories.agent(tenant))
    response = client.get(reverse("agent:client_partitions_json"))
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    (entry,) = response.json()["client_partitions"]
    assert entry["name"] == hostile["partition"].name
    assert entry["description"] == f"{SCRIPT} {QUOTES}"


# ----- malformed files and bodies ----------------------------------------------------


@pytest.fixture
def api_key(tenant):
    factories.ServiceFactory(tenant=tenant, name="Line")
    return factories.gateway_token(tenant)[1]


API_BODIES = {
    "not-json": (b"{not json", "__all__"),
    "truncated": (b'{"service": "Line", "channel": "vo', "__all__"),
    "not-utf8": (b'{"service": "\xff\xfe"}', "__all__"),
    "string": (b"\"a call\"", "__all__"),  # an array is a batch: test_batch_api
    "number": (b"42", "__all__"),
    "nul-in-sender": (b'{"service": "Line", "channel": "voice", "from": "+81\\u0000"}',
                      "from"),
    "unknown-field": (b'{"service": "Line", "channel": "voice", "from": "+8190",'
                      b' "admin": true}', "__all__"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(API_BODIES))
def test_malformed_api_body_is_400_and_records_nothing(client, api_key, case):
    body, field = API_BODIES[case]
    response = client.post(
        reverse("api:interactions"),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Activity.objects.exists()


def test_api_body_over_the_cap_is_400(client, api_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"service": "Line", "channel": "chat", "body": "x" * 2000})
    response = client.post(
        reverse("api:interactions"),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )
    assert response.status_code == 400
    assert not Activity.objects.exists()


EML = {
    "binary-garbage": b"\x00\x01\x02\xff\xfe" * 50,
    "no-headers": b"just some text, no headers at all\n",
}


@pytest.mark.parametrize("case", list(EML))
def test_malformed_eml_is_rejected_with_a_reason(tmp_path, tenant, case):
    factories.ServiceFactory(tenant=tenant, name="Mail", type="email")
    path = tmp_path / "bad.eml"
    path.write_bytes(EML[case])
    with pytest.raises(CommandError) as refused:
        call_command(
            "receive_interactions", "--tenant", tenant.slug, "--service", "Mail",
            str(path), stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    assert "rejected" in str(refused.value)
    assert not Activity.objects.exists()


def test_eml_without_a_sender_is_recorded_for_its_known_service(tmp_path, tenant):
    """Issue 17: no From, but the service is known: recorded, with the client's
    "Unknown sender" contact, not refused."""
    factories.ServiceFactory(tenant=tenant, name="Mail", type="email")
    path = tmp_path / "no-sender.eml"
    path.write_bytes(b"To: support@example.com\nSubject: hi\n\nbody\n")
    out = StringIO()
    call_command(
        "receive_interactions", "--tenant", tenant.slug, "--service", "Mail",
        str(path), stdout=out, stderr=StringIO(),
    )  # fmt: skip
    assert "1 recorded, 0 rejected" in out.getvalue()
    activity = Activity.objects.get()
    assert activity.contact.placeholder == Contact.Placeholder.UNKNOWN_SENDER


CSV = {
    "binary-garbage": b"\x00\xff\xfe\x00" * 100,
    "no-known-column": b"foo,bar\n1,2\n",
    "empty": b"",
    "not-utf8": b"first name,last name\n\xff\xfe\xfd,x\n",
}


@pytest.mark.parametrize("case", list(CSV))
def test_malformed_csv_in_the_admin_import_imports_nothing(admin_client, case):
    response = admin_import(
        admin_client,
        {
            "file": SimpleUploadedFile("c.csv", CSV[case], "text/csv"),
            "encoding": "utf-8-sig",
            "atomic": "on",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    messages = [str(m) for m in response.context["messages"]]
    assert form.errors or any("refused" in m or "line" in m for m in messages), (
        form.errors,
        messages,
    )
    assert not Contact.objects.exists()


def test_import_upload_over_the_cap_is_refused(admin_client, settings):
    settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE = 1000
    big = b"first name\n" + b"Eve\n" * 100_000
    response = admin_client.post(
        reverse("admin:contacts_contact_import"),
        {"file": SimpleUploadedFile("c.csv", big, "text/csv"), "encoding": "utf-8-sig"},
    )
    assert response.status_code == 200
    assert any("too large" in str(m) for m in response.context["messages"])
    assert not Contact.objects.exists()


def test_admin_form_post_over_the_cap_is_400_and_changes_nothing(
    admin_client, tenant, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = admin_client.post(ADD, {"name": "Acme", "description": "d" * 20_000})
    assert response.status_code == 400
    assert not ClientPartition.objects.exists()


@pytest.mark.parametrize("selected", ["[1, 2]", "1 OR 1=1", "-1", "9" * 30])
def test_forged_action_selection_is_refused_not_500(admin_client, tenant, selected):
    partition = factories.ClientPartitionFactory(tenant=tenant)
    response = admin_client.post(
        reverse("admin:partitions_clientpartition_changelist"),
        {"action": "disable_partitions", "_selected_action": [selected]},
        follow=True,
    )
    assert response.status_code == 200
    partition.refresh_from_db()
    assert partition.enabled is True
