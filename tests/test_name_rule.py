"""One rule for names typed by administrators (ccadmin.text.TypedName): client
partitions, services and companies normalise, then require, then ask their own
uniqueness question."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms import modelform_factory
from django.urls import reverse

from contacts.models import Company
from partitions.models import ClientPartition
from services.models import Service
from tests import factories

MODELS = {
    "client partition": (ClientPartition, {}),
    "service": (Service, {"type": Service.Type.INBOUND_VOICE}),
    "company": (Company, {}),
}


def form_for(model_name: str, tenant, name: str):
    model, extra = MODELS[model_name]
    form_class = modelform_factory(model, fields=["tenant", "name", *extra])
    return form_class(data={"tenant": tenant.pk, "name": name, **extra})


@pytest.mark.parametrize("model_name", MODELS)
def test_name_is_stored_normalised(tenant, model_name):
    form = form_for(model_name, tenant, "  ＡＣＭＥ  Ltd ")
    assert form.is_valid(), form.errors
    assert form.save().name == "ACME  Ltd"


@pytest.mark.parametrize("model_name", MODELS)
def test_blank_name_is_mandatory(tenant, model_name):
    model, extra = MODELS[model_name]
    record = model(tenant=tenant, name=" \t ", **extra)
    with pytest.raises(ValidationError) as refused:
        record.full_clean()
    assert "Name is mandatory." in refused.value.message_dict["name"]


@pytest.mark.parametrize("model_name", MODELS)
def test_a_name_the_form_refused_is_not_also_called_missing(tenant, model_name):
    form = form_for(model_name, tenant, "Acme\x00Corp")
    assert not form.is_valid()
    assert form.errors["name"] == ["Null characters are not allowed."]


def test_each_model_asks_its_own_uniqueness_question(tenant):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ServiceFactory(tenant=tenant, name="Acme")
    Company.objects.create(tenant=tenant, name="Acme")

    partition = form_for("client partition", tenant, "ACME")
    service = form_for("service", tenant, "Acme")
    company = form_for("company", tenant, "Acme")

    # The existing client as stored, so it can be found in the list.
    assert partition.errors["name"] == [
        'A client partition named "Acme" already exists.'
    ]
    assert service.errors["__all__"] == ["A service with this name already exists."]
    assert company.is_valid(), company.errors  # companies may share a name


def test_duplicate_name_names_the_stored_partition_in_the_command_and_admin(
    tenant, admin_client
):
    tenant.slug = "sakura"
    tenant.save()
    factories.ClientPartitionFactory(tenant=tenant, name="さくら銀行 Acme")
    message = 'A client partition named "さくら銀行 Acme" already exists.'

    with pytest.raises(CommandError) as refused:
        call_command("partitions", "add", "--name", "さくら銀行 ＡＣＭＥ",
                     "--tenant", "sakura", stdout=io.StringIO())  # fmt: skip
    assert str(refused.value) == message

    response = admin_client.post(
        reverse("admin:partitions_clientpartition_add"),
        {"name": "  さくら銀行 acme ", "description": "", "enabled": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [message]
    assert ClientPartition.objects.filter(tenant=tenant).count() == 1
