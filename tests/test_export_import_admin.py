"""The admin's "Export data" button and "Import contacts" page."""

import csv
import io
import json
import re
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contacts.models import Company, Contact
from tests import factories
from tests.import_steps import admin_import

IMPORT = reverse("admin:contacts_contact_import")
HEADER = "first name,last name,email,phone,company,title\n"


def export_url(partition) -> str:
    return reverse("admin:partitions_clientpartition_export", args=[partition.pk])


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def upload(text: str, name="contacts.csv", encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


# ----- export ------------------------------------------------------------------------


def test_change_page_and_delete_page_offer_export(admin_client, tenant):
    acme = factories.client_with_data(tenant, "Acme", contacts=1)
    change = admin_client.get(
        reverse("admin:partitions_clientpartition_change", args=[acme.pk])
    )
    delete = admin_client.get(
        reverse("admin:partitions_clientpartition_delete", args=[acme.pk])
    )
    assert f'href="{export_url(acme)}"' in change.text
    assert f'href="{IMPORT}?partition={acme.pk}"' in change.text
    assert "Download this client's data before deleting it" in delete.text
    assert f'href="{export_url(acme)}"' in delete.text


def test_admin_export_is_the_commands_zip(admin_client, admin_user, tenant, tmp_path):
    from django.core.management import call_command

    acme = factories.client_with_data(tenant, "さくら銀行", contacts=3)

    response = admin_client.post(export_url(acme))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert ".zip" in response["Content-Disposition"]
    web = zip_of(response)
    target = tmp_path / "cli.zip"
    call_command(
        "partitions",
        "export",
        "さくら銀行",
        "--tenant",
        tenant.slug,
        "-o",
        str(target),
        stdout=io.StringIO(),
    )
    with zipfile.ZipFile(target) as cli:
        assert web.namelist() == cli.namelist()
        for name in web.namelist():
            if name != "manifest.json":
                assert web.read(name) == cli.read(name), name
        web_manifest = json.loads(web.read("manifest.json"))
        cli_manifest = json.loads(cli.read("manifest.json"))
    assert web_manifest["counts"] == cli_manifest["counts"]
    assert web_manifest["exported_by"] == admin_user.username
    with web.open("contacts.csv") as raw:
        rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")))
    assert len(rows) == 3
    entries = LogEntry.objects.filter(object_id=str(acme.pk), user=admin_user)
    assert entries.get().change_message.startswith("Exported the client's data")


@pytest.mark.parametrize("method", ["get", "post"])
def test_export_of_another_tenants_partition_is_not_found(
    admin_client, other_tenant, method
):
    foreign = factories.client_with_data(other_tenant, "Contoso", contacts=1)
    response = getattr(admin_client, method)(export_url(foreign))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert not LogEntry.objects.filter(object_id=str(foreign.pk)).exists()


def test_export_needs_view_permission(tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    clerk = factories.UserFactory(is_staff=True)
    factories.Membership.objects.create(user=clerk, tenant=tenant)
    client = Client()
    client.force_login(clerk)
    assert client.get(export_url(acme)).status_code == 403
    assert client.post(export_url(acme)).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_clientpartition"))
    assert client.get(export_url(acme)).status_code == 200
    assert client.post(export_url(acme))["Content-Type"] == "application/zip"


def test_export_page_says_what_will_be_exported_and_changes_nothing(
    admin_client, tenant
):
    # given
    acme = factories.client_with_data(tenant, "Acme", contacts=3)
    factories.ServiceFactory(tenant=tenant, name="Acme Line", client_partition=acme)
    entries = LogEntry.objects.count()
    # when
    page = admin_client.get(export_url(acme))
    # then: each file of the zip with its rows, and a POST button with a CSRF token
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    rows = dict(re.findall(r'data-rows="([^"]+)">(\d+)<', page.text))
    assert rows == {
        "contacts.csv": "3",
        "companies.csv": str(acme.companies.count()),
        "emails.csv": str(acme.emails.count()),
        "activity_history.csv": str(acme.activities.count()),
        "services.csv": "1",
        "emails/": "0",  # the original messages, one .eml file each
    }
    assert "manifest.json" in page.text
    form = re.search(r'<form method="post">(.*?)</form>', page.text, re.S).group(1)
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'type="submit"' in form
    # and nothing was exported or audited
    assert LogEntry.objects.count() == entries


def test_export_requires_sign_in(client, tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    response = client.get(export_url(acme))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# ----- import ------------------------------------------------------------------------


def test_contact_list_links_to_the_import_page(admin_client):
    response = admin_client.get(reverse("admin:contacts_contact_changelist"))
    assert f'href="{IMPORT}"' in response.text


def test_import_page_imports_into_the_administrators_tenant(
    admin_client, admin_user, tenant, other_tenant
):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")
    page = admin_client.get(IMPORT, {"partition": acme.pk})
    assert page.status_code == 200
    assert "Contoso" not in page.text
    assert "tenant" not in page.context["form"].fields

    response = admin_import(
        admin_client,
        {
            "partition": acme.pk,
            "encoding": "utf-8-sig",
            "file": upload(
                "\ufeff" + HEADER + "太郎,山田,taro@example.jp,,山田商事,部長\n"
                "Ben,Smith,bad-email,,,\n"
            ),
        },
    )

    assert response.status_code == 200
    result = response.context["result"]
    assert (result.imported, result.refused) == (1, 1)
    assert "line 3: Email: Enter a valid email address." in response.text
    contact = Contact.objects.get()
    assert (contact.tenant, contact.partition, contact.first_name) == (
        tenant,
        acme,
        "太郎",
    )
    assert contact.company.partition == acme
    assert LogEntry.objects.get(object_id=str(acme.pk)).user == admin_user


def test_import_page_refuses_another_tenants_partition(admin_client, other_tenant):
    foreign = factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")
    response = admin_import(
        admin_client,
        {
            "partition": foreign.pk,
            "encoding": "utf-8-sig",
            "file": upload(HEADER + "A,B,,,,\n"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["partition"]
    assert not Contact.objects.exists()


def test_import_page_asks_about_unknown_columns_and_keeps_atomic(admin_client, tenant):
    response = admin_import(
        admin_client,
        {"encoding": "utf-8-sig", "file": upload("first name,shoe size\nA,1\n")},
    )
    assert "preview" not in response.context
    assert response.context["form"].errors["column_1"]
    assert not Contact.objects.exists()
    response = admin_import(
        admin_client,
        {
            "encoding": "utf-8-sig",
            "atomic": "on",
            "file": upload(HEADER + "A,B,,,NewCo,\nC,D,bad,,,\n"),
        },
    )
    assert "Nothing imported (all or nothing)" in response.text
    assert not Contact.objects.exists()
    assert not Company.objects.exists()


def test_import_page_reads_files_spooled_to_disk(admin_client, tenant, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # force a TemporaryUploadedFile
    rows = "".join(f"C{i},Name,c{i}@example.com,,,\n" for i in range(30))
    response = admin_import(
        admin_client, {"encoding": "utf-8-sig", "file": upload(HEADER + rows)}
    )
    assert response.context["result"].imported == 30


def test_import_page_caps_the_upload_size(admin_client, tenant, settings):
    settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE = 100
    small = admin_client.get(IMPORT)
    assert "At most 100" in small.text
    response = admin_import(
        admin_client,
        {"encoding": "utf-8-sig", "file": upload(HEADER + "A,B,,,,\n" * 20)},
    )
    assert "the limit is 100" in response.text
    assert not Contact.objects.exists()

    settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE = 1000
    huge = HEADER + "A,B,,,,\n" * 20_000  # far past the cap: refused unread
    response = admin_import(
        admin_client, {"encoding": "utf-8-sig", "file": upload(huge)}
    )
    assert "The file is too large" in response.text
    assert not Contact.objects.exists()


def test_import_page_needs_add_contact_permission(tenant):
    agent = factories.agent(tenant)  # may add contacts, but is no staff
    viewer = factories.UserFactory(is_staff=True)
    factories.Membership.objects.create(user=viewer, tenant=tenant)
    viewer.user_permissions.add(Permission.objects.get(codename="view_contact"))
    client = Client()
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403
    client.force_login(agent)
    assert client.get(IMPORT).status_code == 302  # not staff: to the login page


def test_superuser_picks_the_tenant(provider_client, tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    response = admin_import(
        provider_client,
        {
            "tenant": tenant.pk,
            "partition": acme.pk,
            "encoding": "utf-8-sig",
            "file": upload(HEADER + "A,B,,,,\n"),
        },
    )
    assert response.context["result"].imported == 1
    assert Contact.objects.get().tenant == tenant


@pytest.mark.parametrize("missing", ["file"])
def test_import_page_requires_a_file(admin_client, missing):
    response = admin_import(admin_client, {"encoding": "utf-8-sig"})
    assert response.context["form"].errors[missing]
