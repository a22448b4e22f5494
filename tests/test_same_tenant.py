"""One tenant per record, for everyone (issue 11, item 3): a record's contact,
company, service, email and client partition belong to the record's tenant,
whoever saves it: the actions refuse another tenant's row with an error on that
field, and a superuser's admin form offers and accepts only the record's tenant's."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ccadmin.same_tenant import tenant_bound_fields
from contacts import actions as contact_actions
from contacts.models import Activity, Company, Contact, Email
from services import actions as service_actions
from services.models import Service
from tests import factories

WHEN = datetime(2026, 1, 5, 10, tzinfo=UTC)


def _rows(tenant):
    """One row of each kind a record may point to, all of `tenant`."""
    partition = factories.ClientPartitionFactory(tenant=tenant)
    company = factories.CompanyFactory(tenant=tenant, partition=partition)
    contact = factories.ContactFactory(tenant=tenant, partition=partition)
    service = factories.ServiceFactory(tenant=tenant)
    email = factories.EmailFactory(tenant=tenant, partition=partition)
    return {
        "partition": partition,
        "client_partition": partition,
        "company": company,
        "contact": contact,
        "service": service,
        "email": email,
    }


def _new(model, tenant, own):
    """An unsaved record of `tenant` pointing at its own rows `own`."""
    if model is Company:
        return Company(tenant=tenant, partition=own["partition"], name="Initech")
    if model is Contact:
        return Contact(
            tenant=tenant,
            partition=own["partition"],
            company=own["company"],
            first_name="Aiko",
        )
    if model is Email:
        return Email(
            tenant=tenant,
            partition=own["partition"],
            contact=own["contact"],
            service=own["service"],
            direction="inbound",
            sender="aiko@example.com",
            sent_at=WHEN,
        )
    if model is Activity:
        return Activity(
            tenant=tenant,
            partition=own["partition"],
            contact=own["contact"],
            email=own["email"],
            service=own["service"],
            channel="email",
            direction="inbound",
            occurred_at=WHEN,
        )
    return Service(tenant=tenant, name="Claims", client_partition=own["partition"])


ADD = {
    Company: contact_actions.add_company,
    Contact: contact_actions.add_contact,
    Email: contact_actions.add_email,
    Activity: contact_actions.add_activity,
    Service: service_actions.add_service,
}
CHANGE = {
    Company: contact_actions.change_company,
    Contact: contact_actions.change_contact,
    Email: contact_actions.change_email,
    Activity: contact_actions.change_activity,
    Service: service_actions.change_service,
}
CASES = [
    (model, field.name)
    for model in ADD
    for field in tenant_bound_fields(model)
    if field.name != "partition" or model is not Service
]


def test_every_foreign_key_the_issue_names_is_checked():
    assert set(CASES) == {
        (Company, "partition"),
        (Contact, "partition"),
        (Contact, "company"),
        (Email, "partition"),
        (Email, "contact"),
        (Email, "service"),
        (Activity, "partition"),
        (Activity, "contact"),
        (Activity, "email"),
        (Activity, "service"),
        (Service, "client_partition"),
    }


@pytest.mark.parametrize("model, field", CASES, ids=lambda c: getattr(c, "__name__", c))
def test_the_action_refuses_another_tenants_row_on_that_field(
    tenant, other_tenant, model, field
):
    # given: a record whose `field` names another tenant's row, all else its own
    own, foreign = _rows(tenant), _rows(other_tenant)
    record = _new(model, tenant, own)
    assert ADD[model](_new(model, tenant, own), actor=None).pk  # the own rows pass
    setattr(record, field, foreign[field])
    count = model.objects.count()

    # when / then
    with pytest.raises(ValidationError) as refused:
        ADD[model](record, actor=None)
    assert "another tenant" in " ".join(refused.value.message_dict[field])
    assert model.objects.count() == count


@pytest.mark.parametrize("model, field", CASES, ids=lambda c: getattr(c, "__name__", c))
def test_a_change_to_another_tenants_row_is_refused_and_nothing_saved(
    tenant, other_tenant, model, field
):
    own, foreign = _rows(tenant), _rows(other_tenant)
    record = ADD[model](_new(model, tenant, own), actor=None)
    record.refresh_from_db()
    setattr(record, field, foreign[field])

    with pytest.raises(ValidationError) as refused:
        CHANGE[model](record, actor=None)

    assert field in refused.value.message_dict
    stored = model.objects.get(pk=record.pk)
    assert getattr(stored, f"{field}_id") == own[field].pk


# ----- the superuser's admin forms ----------------------------------------------------


@pytest.fixture
def email_of_tenant(tenant):
    own = _rows(tenant)
    email = ADD[Email](_new(Email, tenant, own), actor=None)
    return email, own


def _email_form(email, **changes):
    data = {
        "partition": email.partition_id,
        "direction": "inbound",
        "sender": email.sender,
        "recipients": "",
        "subject": "Claim",
        "body": "",
        "message_id": "",
        "service": email.service_id or "",
        "contact": email.contact_id or "",
        "sent_at_0": "2026-01-05",
        "sent_at_1": "10:00:00",
    }
    data.update(changes)
    return data


def test_a_superusers_change_form_offers_only_the_records_tenants_rows(
    provider_client, tenant, other_tenant, email_of_tenant
):
    email, own = email_of_tenant
    foreign = _rows(other_tenant)
    url = reverse("admin:contacts_email_change", args=[email.pk])

    response = provider_client.get(url)

    form = response.context["adminform"].form
    assert set(form.fields["service"].queryset) == {own["service"]}
    assert set(form.fields["partition"].queryset) == {own["partition"]}
    assert foreign["service"] not in form.fields["service"].queryset
    assert set(form.fields["contact"].queryset) == set(
        Contact.objects.filter(tenant=tenant)
    )


@pytest.mark.parametrize("field", ["contact", "service", "partition"])
def test_a_superuser_cannot_point_a_record_at_another_tenants_row(
    provider_client, other_tenant, email_of_tenant, field
):
    email, own = email_of_tenant
    foreign = _rows(other_tenant)
    url = reverse("admin:contacts_email_change", args=[email.pk])

    response = provider_client.post(
        url, _email_form(email, **{field: foreign[field].pk})
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    email.refresh_from_db()
    assert getattr(email, f"{field}_id") == own[field].pk


def test_a_superusers_add_form_refuses_a_row_of_another_tenant_than_chosen(
    provider_client, tenant, other_tenant
):
    # On add the tenant is chosen in the form: the model's validation decides.
    foreign = _rows(other_tenant)
    data = {
        "tenant": tenant.pk,
        "direction": "inbound",
        "sender": "aiko@example.com",
        "contact": foreign["contact"].pk,
        "sent_at_0": "2026-01-05",
        "sent_at_1": "10:00:00",
    }

    response = provider_client.post(reverse("admin:contacts_email_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["contact"] == [
        "This contact belongs to another tenant."
    ]
    assert not Email.objects.filter(sender="aiko@example.com").exists()


def test_a_superusers_service_form_offers_only_the_services_tenants_clients(
    provider_client, tenant, other_tenant
):
    service = factories.ServiceFactory(tenant=tenant)
    own = factories.ClientPartitionFactory(tenant=tenant)
    foreign = factories.ClientPartitionFactory(tenant=other_tenant)
    url = reverse("admin:services_service_change", args=[service.pk])

    form = provider_client.get(url).context["adminform"].form
    response = provider_client.post(
        url,
        {"name": service.name, "type": service.type, "client_partition": foreign.pk},
    )

    assert set(form.fields["client_partition"].queryset) == {own}
    assert "client_partition" in response.context["adminform"].form.errors
    service.refresh_from_db()
    assert service.client_partition_id is None
