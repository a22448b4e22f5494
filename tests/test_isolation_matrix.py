"""Isolation matrix, in the style of NetBox's ViewTestCases: one table of every model
and every admin URL, agent page, JSON and API endpoint, probed at two levels:

- tenant: tenant A's administrator or agent, with tenant B's objects;
- client: a client supervisor or an agent who works for tenant A's client "Acme" only
  (ccadmin.tenancy.client_scope), with the objects of another client of the SAME
  tenant (issue 12).

Every answer is a 404, a 403, or the admin's not-found redirect; nothing foreign is
changed; and the foreign objects' distinctive word, MARKER, never appears in a
response. A client the prober does not work for is exactly as absent as another
tenant's.
"""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ccadmin import audit
from ccadmin.models import ApiToken, AuditEntry
from contacts import actions as contact_actions
from contacts.data_subject import subject_of
from contacts.models import Activity, Company, Contact, Email
from partitions.deletion import delete_client_partition
from partitions.models import ClientPartition, DeletionCertificate
from services.models import GatewayToken, Service
from tests import factories

MARKER = "Zephyr"
NOT_FOUND = "doesn’t exist. Perhaps it was deleted?"

# Every model of the admin a tenant's administrator uses: (app label, model name).
ADMIN_MODELS = {
    "clientpartition": "partitions",
    "service": "services",
    "gatewaytoken": "services",
    "company": "contacts",
    "contact": "contacts",
    "email": "contacts",
    "activity": "contacts",
    "auditentry": "ccadmin",
    "membership": "ccadmin",
    "apitoken": "ccadmin",
    "deletioncertificate": "partitions",
    "erasurecertificate": "contacts",
}


# Records nobody adds or changes (no add form), each with an admin of its own scoped
# with visible_to: the audit trail, deletion and erasure certificates.
READ_ONLY_RECORDS = {"auditentry", "deletioncertificate", "erasurecertificate"}

LEVELS = ["tenant", "client"]


@pytest.fixture(params=LEVELS)
def level(request) -> str:
    """Which isolation is probed: between tenants, or between the clients of one."""
    return request.param


@pytest.fixture
def foreign_tenant(level, tenant, other_tenant):
    """Where the foreign objects live: tenant B, or tenant A itself (another client)."""
    return other_tenant if level == "tenant" else tenant


@pytest.fixture
def admin_client(level, tenant, own):
    """The admin's prober: tenant A's administrator, or a client supervisor of A's
    client Acme only."""
    if level == "tenant":
        return factories.signed_in(factories.administrator(tenant))
    return factories.signed_in(factories.client_supervisor(tenant, clients=[own]))


@pytest.fixture
def agent_client(level, tenant, own):
    """The agent desktop's prober: an agent of tenant A, of every client or of Acme
    only."""
    clients = None if level == "tenant" else [own]
    return factories.signed_in(
        factories.agent(tenant, username="aiko", clients=clients)
    )


def lacks_permission(response, app: str, model: str, verb: str) -> bool:
    """Whether the response is the 403 of a prober without the model permission
    (a client supervisor has none on gateway tokens, nor adds services): that
    refusal comes before any lookup, so it tells nothing either."""
    user = response.wsgi_request.user
    return response.status_code == 403 and not user.has_perm(f"{app}.{verb}_{model}")


@pytest.fixture
def foreign(foreign_tenant):
    """The foreign objects (tenant B's, or another client's of tenant A), each
    carrying MARKER in every text it displays."""
    partition = factories.client_with_data(
        foreign_tenant, f"{MARKER} Client", contacts=1
    )
    partition.description = f"{MARKER} notes"
    partition.save()
    contact = partition.contacts.get()
    contact.first_name = MARKER
    contact.save()
    company = partition.companies.first()
    company.name = f"{MARKER} Holdings"
    company.save()
    email = partition.emails.get()
    email.subject = f"{MARKER} subject"
    email.sender = f"{MARKER.lower()}@example.com"
    email.save()
    activity = partition.activities.first()
    activity.summary = f"{MARKER} call"
    activity.save()
    service = factories.ServiceFactory(
        tenant=foreign_tenant, name=f"{MARKER} Line", client_partition=partition
    )
    token, _key = factories.gateway_token(foreign_tenant, name=f"{MARKER} PBX")
    administrator = factories.administrator(
        foreign_tenant, username=f"{MARKER.lower()}-admin", first_name=MARKER
    )
    api_token, _key = factories.api_token(administrator, name=f"{MARKER} CRM sync")
    entry = audit.log_addition(administrator, partition)
    gone = factories.ClientPartitionFactory(
        tenant=foreign_tenant, name=f"{MARKER} Gone"
    )
    delete_client_partition(gone, actor=administrator)
    factories.ContactFactory(
        tenant=foreign_tenant, partition=partition, email="erased@example.jp"
    )
    erasure = contact_actions.erase_data_subject(
        subject_of(foreign_tenant, email="erased@example.jp"), actor=administrator
    )
    return {
        "clientpartition": partition,
        "service": service,
        "gatewaytoken": token,
        "company": company,
        "contact": contact,
        "email": email,
        "activity": activity,
        "auditentry": AuditEntry.objects.get(pk=entry.pk),
        "membership": administrator.membership,
        "apitoken": api_token,
        "deletioncertificate": DeletionCertificate.objects.get(
            client_partition_id=gone.pk
        ),
        "erasurecertificate": erasure,
        "user": administrator,
    }


@pytest.fixture
def own(tenant):
    """Tenant A's own data, so every page has something to show."""
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    factories.ServiceFactory(
        tenant=tenant, name="Acme Line", client_partition=partition
    )
    return partition


def state_of(foreign: dict) -> dict:
    """Every foreign object's row, to compare before and after a probe."""
    return {
        key: (
            type(obj).objects.filter(pk=obj.pk).values().first()  # None once deleted
        )
        for key, obj in foreign.items()
    }


def assert_no_foreign_data(text: str) -> None:
    assert MARKER not in text, text[text.find(MARKER) - 300 : text.find(MARKER) + 100]
    assert MARKER.lower() not in text


# ----- admin: each object's own URLs ----------------------------------------------


OBJECT_URLS = [("change", "GET"), ("change", "POST"), ("delete", "GET"),
               ("delete", "POST"), ("history", "GET")]  # fmt: skip


@pytest.mark.parametrize(
    ("view", "method"), OBJECT_URLS, ids=[f"{v}-{m}" for v, m in OBJECT_URLS]
)
@pytest.mark.parametrize("model", list(ADMIN_MODELS))
def test_admin_object_url_of_other_tenant_is_not_found(
    admin_client, own, foreign, model, view, method
):
    before = state_of(foreign)
    url = reverse(
        f"admin:{ADMIN_MODELS[model]}_{model}_{view}", args=[foreign[model].pk]
    )
    if method == "GET":
        response = admin_client.get(url, follow=True)
    else:
        response = admin_client.post(
            url, {"post": "yes", "name": "Hacked", "enabled": ""}, follow=True
        )
    if response.redirect_chain:
        assert response.redirect_chain[-1][0] == reverse("admin:index")
        assert any(NOT_FOUND in str(m) for m in response.context["messages"])
    else:
        # The audit trail is read-only and people are deactivated, never deleted:
        # their delete pages are forbidden to everyone.
        assert response.status_code == 403
    assert_no_foreign_data(response.text.replace(NOT_FOUND, ""))
    assert state_of(foreign) == before


@pytest.mark.parametrize(
    "query",
    # "ephy" finds the marker's objects by substring and is not the marker itself
    # (the page echoes the search term).
    ["", "?q=ephy", "?partition__id__exact={partition}", "?_popup=1&_to_field=id"],
    ids=["plain", "search", "filter-by-foreign-partition", "raw-id-popup"],
)
@pytest.mark.parametrize("model", list(ADMIN_MODELS))
def test_admin_list_shows_nothing_of_other_tenant(
    admin_client, own, foreign, model, query
):
    url = reverse(f"admin:{ADMIN_MODELS[model]}_{model}_changelist")
    url += query.format(partition=foreign["clientpartition"].pk)
    response = admin_client.get(url)
    if lacks_permission(response, ADMIN_MODELS[model], model, "view"):
        return
    assert response.status_code in (200, 302)  # a foreign filter value may redirect
    assert_no_foreign_data(response.text)
    if response.status_code == 200:
        shown = list(response.context["cl"].result_list)
        assert foreign[model] not in shown


# Nobody adds audit entries or deletion certificates: they have no add form.
@pytest.mark.parametrize(
    "model",
    [m for m in ADMIN_MODELS if m not in READ_ONLY_RECORDS],
)
def test_admin_add_form_offers_no_object_of_other_tenant(
    admin_client, own, foreign, model
):
    response = admin_client.get(reverse(f"admin:{ADMIN_MODELS[model]}_{model}_add"))
    if lacks_permission(response, ADMIN_MODELS[model], model, "add"):
        return
    assert response.status_code == 200
    assert_no_foreign_data(response.text)
    form = response.context["adminform"].form
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset.model, "tenant"):
            assert not queryset.query.is_empty()  # own objects are offered
            offered_foreign = [
                obj.pk for obj in foreign.values() if isinstance(obj, queryset.model)
            ]
            assert not queryset.filter(pk__in=offered_foreign).exists()


# (action, model) -> what the action would do to the foreign object.
ACTIONS = [
    ("enable_partitions", "clientpartition"),
    ("disable_partitions", "clientpartition"),
    ("delete_selected_partitions", "clientpartition"),
    ("delete_selected", "service"),
    ("delete_selected", "gatewaytoken"),
    ("delete_selected", "company"),
    ("delete_selected", "contact"),
    ("move_to_client", "contact"),
    ("merge_selected", "contact"),
    ("delete_selected", "email"),
    ("delete_selected", "activity"),
    ("deactivate", "membership"),
    ("set_password_links", "membership"),
    ("revoke_selected", "apitoken"),
]


@pytest.mark.parametrize(
    ("action", "model"), ACTIONS, ids=[f"{m}-{a}" for a, m in ACTIONS]
)
def test_admin_action_on_other_tenants_object_changes_nothing(
    admin_client, own, foreign, action, model
):
    if action == "enable_partitions":
        ClientPartition.objects.filter(pk=foreign[model].pk).update(enabled=False)
    before = state_of(foreign)
    url = reverse(f"admin:{ADMIN_MODELS[model]}_{model}_changelist")
    response = admin_client.post(
        url,
        {"action": action, "_selected_action": [foreign[model].pk], "post": "yes"},
        follow=True,
    )
    assert state_of(foreign) == before
    if lacks_permission(response, ADMIN_MODELS[model], model, "view"):
        return
    assert response.status_code == 200
    assert_no_foreign_data(response.text)
    assert state_of(foreign) == before


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_revoking_a_foreign_api_token_is_not_found(admin_client, own, foreign, method):
    """A personal API token of another tenant, or (client level) of a colleague a
    client supervisor may not see, cannot be revoked: its key keeps working."""
    before = state_of(foreign)
    url = reverse("admin:ccadmin_apitoken_revoke", args=[foreign["apitoken"].pk])
    response = getattr(admin_client, method.lower())(url, follow=True)
    if method == "GET":
        assert response.status_code == 405
    else:
        assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert_no_foreign_data(response.text.replace(NOT_FOUND, ""))
    assert state_of(foreign) == before


# ----- contacts across clients: move, merge, possible duplicates (issue 14) -------


def test_moving_own_contacts_into_a_foreign_client_is_refused(
    admin_client, own, foreign
):
    before = state_of(foreign)
    mine = list(own.contacts.values_list("pk", flat=True))
    response = admin_client.post(
        reverse("admin:contacts_contact_changelist"),
        {
            "action": "move_to_client",
            "_selected_action": mine,
            "post": "yes",
            "target": foreign["clientpartition"].pk,
        },
    )
    assert response.status_code == 200
    assert "target" in response.context["form"].errors
    assert own.contacts.count() == len(mine)
    assert_no_foreign_data(response.text)
    assert state_of(foreign) == before


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_merge_page_neither_shows_nor_merges_a_foreign_contact(
    admin_client, own, foreign, method
):
    before = state_of(foreign)
    mine = own.contacts.first()
    ids = f"{mine.pk},{foreign['contact'].pk}"
    url = reverse("admin:contacts_contact_merge")
    data = {"ids": ids, "keep": mine.pk, "field_first_name": foreign["contact"].pk}
    response = getattr(admin_client, method.lower())(url, data, follow=True)
    assert response.status_code == 200
    assert_no_foreign_data(response.text)
    assert state_of(foreign) == before
    assert Contact.objects.filter(pk=mine.pk).exists()


def test_duplicates_page_shows_no_foreign_duplicates(admin_client, own, foreign):
    contact = foreign["contact"]
    factories.ContactFactory(
        tenant=contact.tenant,
        partition=contact.partition,
        first_name=MARKER,
        email=contact.email,
    )
    response = admin_client.get(reverse("admin:contacts_contact_duplicates"))
    assert response.status_code == 200
    assert response.context["groups"] == []
    assert_no_foreign_data(response.text)


# Every foreign key an autocomplete could be asked about, (app, model, field): each
# link of a tenant's record to another of the tenant's records, read from the models
# so that a new one is in the matrix without anyone remembering to add it.
AUTOCOMPLETE = [
    (model._meta.app_label, model._meta.model_name, field.name)
    for model in (Service, Company, Contact, Email, Activity)
    for field in model._meta.fields
    if field.many_to_one and field.name != "tenant"
    and hasattr(field.related_model._default_manager, "visible_to")
]  # fmt: skip


@pytest.mark.parametrize("term", ["", MARKER], ids=["everything", "marker"])
@pytest.mark.parametrize(
    ("app", "model", "field"),
    AUTOCOMPLETE,
    ids=[f"{m}.{f}" for _a, m, f in AUTOCOMPLETE],
)
def test_autocomplete_never_offers_other_tenants_objects(
    admin_client, own, foreign, app, model, field, term
):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": app, "model_name": model, "field_name": field, "term": term},
    )
    assert response.status_code == 200
    assert_no_foreign_data(response.text)
    if not term:
        assert json.loads(response.text)["results"], "own objects are offered"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_export_of_other_tenants_partition_is_not_found_and_not_audited(
    admin_client, own, foreign, method
):
    partition = foreign["clientpartition"]
    entries = LogEntry.objects.count()
    url = reverse("admin:partitions_clientpartition_export", args=[partition.pk])
    response = getattr(admin_client, method.lower())(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert response["Content-Type"].startswith("text/html")
    assert_no_foreign_data(response.text.replace(NOT_FOUND, ""))
    assert LogEntry.objects.count() == entries


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("step", ["export", "erase"])
def test_data_subject_pages_of_other_tenants_contact_are_not_found(
    admin_client, own, foreign, step, method
):
    entries = LogEntry.objects.count()
    before = state_of(foreign)
    url = reverse(
        f"admin:contacts_contact_subject_{step}", args=[foreign["contact"].pk]
    )
    response = getattr(admin_client, method.lower())(url, {"by": "email"})
    assert response.status_code == 404
    assert_no_foreign_data(response.text)
    assert state_of(foreign) == before
    assert LogEntry.objects.count() == entries


def test_data_subject_of_own_contact_never_counts_or_shows_foreign_records(
    level, admin_client, own, foreign
):
    """Tenant level: a person with the same address in tenant B is another person.
    Client level: a supervisor whose subject also has records in another client is
    refused, without the other client's name, and nothing changes."""
    mine = own.contacts.order_by("pk").first()
    Contact.objects.filter(pk=mine.pk).update(email=foreign["contact"].email)
    before = state_of(foreign)
    url = reverse("admin:contacts_contact_subject_erase", args=[mine.pk])
    shown = admin_client.get(url)
    posted = admin_client.post(url, {"by": "email"})
    assert_no_foreign_data(shown.text)
    assert state_of(foreign) == before
    if level == "tenant":
        assert "1 contact, 1 email" in shown.text
        assert posted.status_code == 302
        assert not Contact.objects.filter(pk=mine.pk).exists()
    else:
        assert "outside the clients you work for" in shown.text
        assert_no_foreign_data(posted.text)
        assert Contact.objects.filter(pk=mine.pk).exists()


def test_import_page_offers_and_accepts_no_partition_of_other_tenant(
    admin_client, own, foreign
):
    url = reverse("admin:contacts_contact_import")
    page = admin_client.get(url)
    assert_no_foreign_data(page.text)
    contacts = Contact.objects.count()
    upload = SimpleUploadedFile(
        "c.csv", b"first name,last name\nEve,Intruder\n", content_type="text/csv"
    )
    response = admin_client.post(
        url,
        {
            "partition": foreign["clientpartition"].pk,
            "file": upload,
            "encoding": "utf-8-sig",
        },
    )
    assert response.status_code == 200
    assert "partition" in response.context["form"].errors
    assert Contact.objects.count() == contacts


# ----- forged POSTs assigning another tenant's object -------------------------------

FORGED = [
    ("services", "service", "client_partition", "clientpartition",
     {"name": "Own Line", "type": "inbound_voice"}),
    ("contacts", "contact", "partition", "clientpartition", {"first_name": "Eve"}),
    ("contacts", "contact", "company", "company", {"first_name": "Eve"}),
    ("contacts", "company", "partition", "clientpartition", {"name": "Own Firm"}),
    ("contacts", "activity", "contact", "contact",
     {"channel": "voice", "direction": "inbound", "occurred_at_0": "2026-01-05",
      "occurred_at_1": "10:00:00"}),
    ("contacts", "activity", "service", "service",
     {"channel": "voice", "direction": "inbound", "occurred_at_0": "2026-01-05",
      "occurred_at_1": "10:00:00"}),
    ("contacts", "email", "contact", "contact",
     {"direction": "inbound", "sender": "a@example.com", "sent_at_0": "2026-01-05",
      "sent_at_1": "10:00:00"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("app", "model", "field", "target", "data"),
    FORGED,
    ids=[f"{m}.{f}" for _a, m, f, _t, _d in FORGED],
)
def test_forged_post_assigning_other_tenants_object_is_refused(
    admin_client, own, foreign, app, model, field, target, data
):
    model_class = {
        "service": Service,
        "contact": Contact,
        "company": Company,
        "activity": Activity,
        "email": Email,
    }[model]
    count = model_class.objects.count()
    response = admin_client.post(
        reverse(f"admin:{app}_{model}_add"), {**data, field: foreign[target].pk}
    )
    if lacks_permission(response, app, model, "add"):
        assert model_class.objects.count() == count
        return
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert model_class.objects.count() == count
    assert_no_foreign_data(response.text)


def test_forged_post_moving_own_service_to_other_tenants_partition_is_refused(
    admin_client, tenant, own, foreign
):
    service = Service.objects.get(tenant=tenant, name="Acme Line")
    response = admin_client.post(
        reverse("admin:services_service_change", args=[service.pk]),
        {
            "name": "Acme Line",
            "type": "inbound_voice",
            "client_partition": foreign["clientpartition"].pk,
        },
    )
    service.refresh_from_db()
    assert service.client_partition == own
    if lacks_permission(response, "services", "service", "change"):
        return
    assert response.status_code == 200
    assert "client_partition" in response.context["adminform"].form.errors
    assert service.client_partition == own


# ----- agent desktop, JSON, API -----------------------------------------------------


def foreign_pk(kind: str):
    """A form value: the primary key of the other tenant's object of this kind."""
    return lambda foreign: foreign[kind].pk


FOREIGN_CLIENT = foreign_pk("clientpartition")

# probe: (method, URL name, the other tenant's object in the URL or None, data)
AGENT_PROBES = {
    "desktop": ("get", "agent:desktop", None, {}),
    "desktop-choosing-foreign-client": (
        "get", "agent:desktop", None, {"client_partition": FOREIGN_CLIENT},
    ),
    "desktop-searching-marker": (
        "get", "agent:desktop", None, {"client_partition": FOREIGN_CLIENT, "q": "ephy"},
    ),
    "foreign-contact-page": ("get", "agent:contact", "contact", {}),
    "new-contact-form": (
        "get", "agent:new_contact", None, {"client_partition": FOREIGN_CLIENT},
    ),
    "new-contact-in-foreign-client": (
        "post", "agent:new_contact", None,
        {"client_partition": FOREIGN_CLIENT, "first_name": "Eve"},
    ),
    "client-partitions-json": ("get", "agent:client_partitions_json", None, {}),
}  # fmt: skip


@pytest.mark.parametrize("probe", list(AGENT_PROBES))
@pytest.mark.parametrize("who", ["agent", "administrator"])
def test_agent_pages_and_json_show_nothing_of_other_tenant(
    agent_client, admin_client, own, foreign, probe, who
):
    client = agent_client if who == "agent" else admin_client
    before = state_of(foreign)
    contacts = Contact.objects.count()
    method, url_name, in_url, data = AGENT_PROBES[probe]
    url = reverse(url_name, args=[foreign[in_url].pk] if in_url else [])
    data = {
        key: value(foreign) if callable(value) else value for key, value in data.items()
    }
    response = getattr(client, method)(url, data)
    assert response.status_code in (200, 404), response.status_code
    if probe == "foreign-contact-page":
        assert response.status_code == 404
    assert_no_foreign_data(response.text)
    assert state_of(foreign) == before
    assert Contact.objects.count() == contacts


@pytest.mark.parametrize(
    "service", ["by-name", "by-id"], ids=["service-by-name", "service-by-id"]
)
def test_api_token_of_tenant_a_cannot_record_into_tenant_b(
    client, tenant, own, foreign, service, level
):
    if level == "client":
        pytest.skip("routing is unchanged: gateways are not people, and route to all")
    _token, key = factories.gateway_token(tenant)
    target = foreign["service"]
    activities = Activity.objects.filter(tenant=target.tenant).count()
    response = client.post(
        reverse("api:interactions"),
        json.dumps(
            {
                "service": target.name if service == "by-name" else target.pk,
                "channel": "voice",
                "from": "+81 90 1111 2222",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    # The same answer as for a service that exists nowhere: no oracle.
    probed = target.name if service == "by-name" else target.pk
    unknown = "No Such Line" if service == "by-name" else 999_999
    nowhere = client.post(
        reverse("api:interactions"),
        json.dumps({"service": unknown, "channel": "voice", "from": "+8190"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.json()["errors"]["service"] == [
        m.replace(str(unknown), str(probed))
        for m in nowhere.json()["errors"]["service"]
    ]
    assert Activity.objects.filter(tenant=target.tenant).count() == activities


def test_api_batch_of_tenant_a_cannot_record_into_tenant_b(
    client, tenant, own, foreign, level
):
    if level == "client":
        pytest.skip("routing is unchanged: gateways are not people, and route to all")
    # A batch (issue 10) resolves its services in one query: still the token's
    # tenant's only, by name, by id or by the address an email was sent to.
    _token, key = factories.gateway_token(tenant)
    target = foreign["service"]
    activities = Activity.objects.filter(tenant=target.tenant).count()
    call = {"channel": "voice", "from": "+81 90 1111 2222"}
    response = client.post(
        reverse("api:interactions"),
        json.dumps([{**call, "service": target.name}, {**call, "service": target.pk}]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == [400, 400]
    assert all("service" in r["errors"] for r in response.json()["results"])
    assert Activity.objects.filter(tenant=target.tenant).count() == activities


def test_matrix_covers_every_registered_tenant_model(foreign):
    """A model added to the admin later must be added to the matrix too."""
    from django.contrib import admin

    from ccadmin.admin_base import TenantScopedAdmin

    scoped = {
        model._meta.model_name
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, TenantScopedAdmin)
    }
    # Read-only records (the audit trail, deletion certificates) have admins of their
    # own, scoped with visible_to as well.
    assert scoped | READ_ONLY_RECORDS == set(ADMIN_MODELS)
    assert {type(obj) for obj in foreign.values()} >= {
        GatewayToken,
        ApiToken,
        AuditEntry,
    }


def test_raw_id_box_names_own_contact_but_not_another_tenants(
    admin_client, tenant, own, foreign
):
    """The raw-id box shows the name beside a number only for the viewer's own
    objects (the stock widget named any tenant's contact: fixed in admin_base)."""
    mine = Contact.objects.filter(partition=own).first()
    url = reverse("admin:contacts_activity_add")
    for contact, shown in [(mine, True), (foreign["contact"], False)]:
        response = admin_client.post(
            url,
            {"channel": "voice", "direction": "inbound", "contact": contact.pk},
        )
        assert (str(contact) in response.text) is shown


# ----- administration API v1 (issue 15) ---------------------------------------------


@pytest.fixture
def api_prober(level, tenant, own):
    """A script with a personal API token of tenant A's administrator, or of a
    client supervisor of A's client Acme only."""
    from django.test import Client

    if level == "tenant":
        user = factories.administrator(tenant)
    else:
        user = factories.client_supervisor(tenant, clients=[own])
    _token, key = factories.api_token(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


# The API's resources by the model each serves.
API_RESOURCES = {
    "clientpartition": "client-partitions",
    "service": "services",
    "contact": "contacts",
    "company": "companies",
    "email": "emails",
    "activity": "activities",
}

# probe: (method, path after /api/v1/ with {pk} of the foreign object, JSON body)
API_OBJECT_PROBES = {
    **{f"get-{model}": ("get", f"{path}/{{pk}}/", None)
       for model, path in API_RESOURCES.items()},
    "patch-clientpartition": ("patch", "client-partitions/{pk}/", {"enabled": False}),
    "patch-service": ("patch", "services/{pk}/", {"client_partition": None}),
    "patch-contact": ("patch", "contacts/{pk}/", {"first_name": "Eve"}),
    "delete-clientpartition": (
        "delete", "client-partitions/{pk}/?confirm={name}", None,
    ),
    "deletion-preview": ("get", "client-partitions/{pk}/deletion-preview/", None),
    "export": ("post", "client-partitions/{pk}/export/", None),
}  # fmt: skip


@pytest.mark.parametrize("probe", list(API_OBJECT_PROBES))
def test_api_object_of_other_tenant_or_client_is_not_found(api_prober, foreign, probe):
    method, path, body = API_OBJECT_PROBES[probe]
    model = next((m for m in API_RESOURCES if m in probe), "clientpartition")
    target = foreign[model]
    before = state_of(foreign)
    entries = LogEntry.objects.count()
    url = "/api/v1/" + path.format(pk=target.pk, name=getattr(target, "name", ""))
    kwargs = {"content_type": "application/json"}
    response = getattr(api_prober, method)(
        url, json.dumps(body) if body is not None else None, **kwargs
    )
    verb = {"patch": "change", "delete": "delete"}.get(method, "view")
    if probe == "deletion-preview":
        verb = "delete"  # the admin's delete confirmation page
    assert response.status_code == 404 or lacks_permission(
        response, foreign[model]._meta.app_label, model, verb
    ), (response.status_code, response.content)
    assert_no_foreign_data(response.content.decode())
    assert state_of(foreign) == before
    assert LogEntry.objects.count() == entries


@pytest.mark.parametrize(
    "path", [*(f"{p}/" for p in API_RESOURCES.values()), "audit-entries/"]
)
def test_api_lists_show_nothing_of_other_tenant_or_client(api_prober, foreign, path):
    for query in [{}, {"client": foreign["clientpartition"].pk}]:
        if path in ("client-partitions/", "audit-entries/") and query:
            continue
        response = api_prober.get(f"/api/v1/{path}", query)
        assert response.status_code in (200, 403), response.content
        assert_no_foreign_data(response.content.decode())


@pytest.mark.parametrize("what", ["service-to-foreign-client", "contact-in-foreign"])
def test_api_cannot_point_own_records_at_foreign_clients(
    api_prober, own, foreign, what
):
    target = foreign["clientpartition"].pk
    if what == "service-to-foreign-client":
        service = own.services.get()
        response = api_prober.patch(
            f"/api/v1/services/{service.pk}/",
            json.dumps({"client_partition": target}),
            content_type="application/json",
        )
        service.refresh_from_db()
        assert service.client_partition == own
    else:
        contacts = Contact.objects.count()
        response = api_prober.post(
            "/api/v1/contacts/",
            json.dumps({"partition": target, "first_name": "Eve"}),
            content_type="application/json",
        )
        assert Contact.objects.count() == contacts
    assert response.status_code in (400, 403), response.content
    assert_no_foreign_data(response.content.decode())


def test_api_v1_gateway_alias_cannot_record_into_tenant_b(
    client, tenant, own, foreign, level
):
    if level == "client":
        pytest.skip("routing is unchanged: gateways are not people, and route to all")
    _token, key = factories.gateway_token(tenant)
    target = foreign["service"]
    activities = Activity.objects.filter(tenant=target.tenant).count()
    response = client.post(
        "/api/v1/interactions/",
        json.dumps({"service": target.pk, "channel": "voice", "from": "+8190"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert_no_foreign_data(response.content.decode())
    assert Activity.objects.filter(tenant=target.tenant).count() == activities


def test_api_usage_tells_a_client_supervisor_nothing(api_prober, level, foreign):
    response = api_prober.get("/api/v1/client-partitions/usage/")
    # A tenant's administrator sees their own tenant's count, never tenant B's;
    # a member of chosen clients is refused (how many clients exist is not theirs).
    assert response.status_code == (200 if level == "tenant" else 403)
    if level == "tenant":
        own_count = ClientPartition.objects.filter(
            tenant=response.wsgi_request.user.membership.tenant
        ).count()
        assert response.json()["used"] == own_count
