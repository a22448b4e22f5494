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


def _form_data(record) -> dict:
    """What the record's admin change form sends back unchanged."""
    if isinstance(record, Service):
        return {
            "name": record.name,
            "type": record.type,
            "client_partition": record.client_partition_id,
            "email_address": "",
        }
    by_model = {
        Company: {
            "partition": record.partition_id,
            "name": getattr(record, "name", ""),
        },
        Contact: {
            "partition": record.partition_id,
            "first_name": getattr(record, "first_name", ""),
            "company": getattr(record, "company_id", "") or "",
        },
        Email: {
            "partition": record.partition_id,
            "direction": "inbound",
            "sender": getattr(record, "sender", ""),
            "service": getattr(record, "service_id", "") or "",
            "contact": getattr(record, "contact_id", "") or "",
            "sent_at_0": "2026-01-05",
            "sent_at_1": "10:00:00",
        },
        Activity: {
            "partition": record.partition_id,
            "channel": "email",
            "direction": "inbound",
            "service": getattr(record, "service_id", "") or "",
            "contact": getattr(record, "contact_id", "") or "",
            "email": getattr(record, "email_id", "") or "",
            "occurred_at_0": "2026-01-05",
            "occurred_at_1": "10:00:00",
        },
    }
    return {k: ("" if v is None else v) for k, v in by_model[type(record)].items()}


def _change_url(record) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


@pytest.mark.parametrize("model, field", CASES, ids=lambda c: getattr(c, "__name__", c))
def test_a_superusers_change_form_offers_only_the_records_tenants_rows(
    provider_client, tenant, other_tenant, model, field
):
    # given: a record of `tenant`, and rows of both tenants
    own, foreign = _rows(tenant), _rows(other_tenant)
    record = ADD[model](_new(model, tenant, own), actor=None)

    # when
    form = provider_client.get(_change_url(record)).context["adminform"].form

    # then: the select (or raw-id box) of `field` knows only the record's tenant
    choices = form.fields[field].queryset
    assert own[field] in choices
    assert foreign[field] not in choices
    assert {row.tenant_id for row in choices} == {tenant.pk}


@pytest.mark.parametrize("model, field", CASES, ids=lambda c: getattr(c, "__name__", c))
def test_a_superuser_cannot_point_a_record_at_another_tenants_row(
    provider_client, tenant, other_tenant, model, field
):
    own, foreign = _rows(tenant), _rows(other_tenant)
    record = ADD[model](_new(model, tenant, own), actor=None)
    url = _change_url(record)
    data = _form_data(record)
    assert provider_client.post(url, data).status_code == 302  # unchanged: saves
    data[field] = foreign[field].pk

    response = provider_client.post(url, data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    record.refresh_from_db()
    assert getattr(record, f"{field}_id") == own[field].pk


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
