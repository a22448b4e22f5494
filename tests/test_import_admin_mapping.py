"""The admin's "Import contacts" in steps (issue 16, item 3): the file, what each
column holds (the importer's suggestion, changeable), a preview of the first rows as
they will be stored with their errors, then the import; the upload kept on the
server between steps for its user only (contacts.import_views, import_uploads)."""

import datetime
import os
import time
from pathlib import Path

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contacts import import_uploads
from contacts.models import Contact
from tests import factories
from tests.import_steps import (
    IMPORT,
    admin_import,
    chosen,
    confirm_url,
    map_url,
    preview,
    token_of,
    upload,
)

# Shaped like a Salesforce contact export: "Lead Source" is no contact field.
CRM = (
    '"First Name","Last Name","Account Name","Email","Phone","Mobile","Lead Source"\n'
    '"Taro","Yamada","Hoshi Airlines","Taro.Yamada@Example.COM","03-1234-5678",'
    '"090-1111-2222","Web"\n'
    '"Ben","Smith","","not-an-address","","","Partner"\n'
    '"Aiko","Sato","Hoshi Airlines","aiko@example.jp","03-9999-0000","","Trade show"\n'
)
LEAD_SOURCE = "column_6"


def crm_file(text: str = CRM, name: str = "salesforce.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def step1(partition=None, **extra) -> dict:
    return {
        "partition": partition.pk if partition else "",
        "encoding": "utf-8-sig",
        "file": crm_file(),
        **extra,
    }


def uploads() -> list[Path]:
    folder = Path(import_uploads.settings.CONTACT_IMPORT_UPLOAD_DIR)
    return sorted(p for p in folder.glob("*.upload")) if folder.exists() else []


@pytest.fixture(autouse=True)
def _empty_upload_folder(settings, tmp_path):
    settings.CONTACT_IMPORT_UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture
def acme(tenant):
    return factories.ClientPartitionFactory(tenant=tenant, name="Acme Insurance")


# ----- step 1: the file --------------------------------------------------------------


def test_the_file_is_kept_on_the_server_for_the_next_step(admin_client, acme):
    # when
    response = upload(admin_client, step1(acme))

    # then: on to the columns, the file kept under a token this session knows
    token = token_of(response)
    assert response["Location"] == map_url(token)
    assert [p.name for p in uploads()] == [f"{token}.upload"]
    assert uploads()[0].read_bytes() == CRM.encode()
    assert oct(uploads()[0].stat().st_mode & 0o777) == "0o600"
    assert admin_client.session["contact_imports"][token]["partition"] == acme.pk
    assert not Contact.objects.exists()


def test_an_unreadable_file_is_refused_at_step_one_and_not_kept(admin_client):
    for data in (b"", b"\xff\xfe\x00garbage\n"):
        response = upload(
            admin_client,
            {"encoding": "utf-8-sig", "file": SimpleUploadedFile("c.csv", data)},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["file"]
    assert uploads() == []


def test_the_page_is_a_standard_admin_page(admin_client):
    page = admin_client.get(IMPORT)
    text = page.text
    # Django's own breadcrumbs: a list, each step a link, the page last.
    assert '<ol class="breadcrumbs">' in text
    assert '<a href="/admin/contacts/">Contacts</a>' in text
    assert '<a href="/admin/contacts/contact/">Contacts</a>' in text
    assert '<li aria-current="page">Import contacts</li>' in text
    assert "<title>Step 1 of 3: the file | Import contacts |" in text
    for label in ("Client partition:", "File:", "Encoding:", "All or nothing"):
        assert label in text
    assert "`" not in text
    assert "import_contacts command" in text


# ----- step 2: the columns -----------------------------------------------------------


def test_each_column_shows_its_values_and_the_suggested_field(admin_client):
    token = token_of(upload(admin_client, step1()))

    page = admin_client.get(map_url(token))

    assert page.status_code == 200
    assert chosen(page) == {
        "column_0": "first_name",
        "column_1": "last_name",
        "column_2": "company",
        "column_3": "email",
        "column_4": "phone",
        "column_5": "mobile",
        LEAD_SOURCE: "",  # "Lead Source": unknown, no choice made for the admin
    }
    columns = page.context["columns"]
    assert [c["header"] for c in columns][-1] == "Lead Source"
    assert columns[6]["samples"] == ["Web", "Partner", "Trade show"]
    assert columns[2]["samples"] == ["Hoshi Airlines", "Hoshi Airlines"]
    # Each select is labelled by its column's header; labels capitalised.
    assert '<label for="id_column_6">Lead Source</label>' in page.text
    assert '<option value="company">Company</option>' in page.text
    assert '<option value="ignore">Do not import</option>' in page.text


def test_an_unknown_column_must_be_given_a_field_before_the_preview(admin_client):
    token = token_of(upload(admin_client, step1()))

    response = preview(admin_client, token)  # "Lead Source" left unchosen

    assert "preview" not in response.context
    assert response.context["form"].errors[LEAD_SOURCE] == [
        "Choose what this column holds, or “Do not import”."
    ]
    assert not Contact.objects.exists()


def test_another_file_of_the_same_user_has_its_own_token(admin_client):
    first = token_of(upload(admin_client, step1()))
    second = token_of(upload(admin_client, step1()))
    assert first != second
    assert len(uploads()) == 2


# ----- step 3: the preview -----------------------------------------------------------


def test_the_preview_shows_rows_as_stored_with_their_errors_and_writes_nothing(
    admin_client, acme
):
    token = token_of(upload(admin_client, step1(acme)))

    response = preview(admin_client, token, {LEAD_SOURCE: "ignore"})

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["line"] for row in rows] == [2, 3, 4]
    labels = response.context["labels"]
    taro = dict(zip(labels, rows[0]["values"], strict=True))
    # Stored forms: the address in lower case, the phone in E.164.
    assert taro["Email"] == "taro.yamada@example.com"
    assert (taro["Phone"], taro["Mobile"]) == ("+81312345678", "+819011112222")
    assert taro["Company"] == "Hoshi Airlines"
    assert rows[0]["errors"] == []
    assert rows[0]["action"] == "New contact"
    assert any("Enter a valid email address" in e for e in rows[1]["errors"])
    assert "Enter a valid email address" in response.text
    assert "Lead Source" not in labels
    assert "Trade show" not in response.text.split("<table")[-1]
    assert (
        "Dry run, nothing written: 2 contacts would be created, 0 contacts "
        "updated (1 company created); 1 row refused."
    ) in response.text
    assert not Contact.objects.exists()
    assert not LogEntry.objects.exists()
    assert len(uploads()) == 1  # kept for the import


def test_a_changed_choice_takes_effect_in_the_preview_and_the_import(
    admin_client, acme
):
    token = token_of(upload(admin_client, step1(acme)))

    shown = preview(admin_client, token, {LEAD_SOURCE: "title", "column_4": "ignore"})
    assert "Title" in shown.context["labels"]
    assert "Phone" not in shown.context["labels"]
    imported = admin_client.post(confirm_url(token))

    assert imported.context["result"].imported == 2
    taro = Contact.objects.get(first_name="Taro")
    assert (taro.title, taro.phone, taro.partition) == ("Web", "", acme)
    assert taro.mobile == "+819011112222"


def test_a_mapping_the_importer_refuses_is_shown_on_the_columns_step(admin_client):
    token = token_of(upload(admin_client, step1()))

    response = preview(admin_client, token, {LEAD_SOURCE: "email"})  # email twice

    assert "preview" not in response.context
    assert response.context["form"].non_field_errors()
    assert not Contact.objects.exists()


def test_the_preview_says_which_rows_update_a_stored_contact(admin_client, acme):
    # The row's Aiko Sato: the same address, names that do not conflict.
    factories.ContactFactory(
        tenant=acme.tenant,
        partition=acme,
        first_name="aiko",
        last_name="",
        email="aiko@example.jp",
    )
    token = token_of(upload(admin_client, step1(acme)))

    response = preview(admin_client, token, {LEAD_SOURCE: "ignore"})

    actions = [row["action"] for row in response.context["rows"]]
    assert actions == ["New contact", "", "Updates a stored contact"]
    assert "1 contact would be created, 1 contact updated" in response.text


def test_a_single_name_column_is_previewed_split(admin_client):
    zendesk = "Name,Email,Phone,Organization\n山田 太郎,taro@example.jp,,Hoshi\n"
    token = token_of(upload(admin_client, step1(file=crm_file(zendesk, "z.csv"))))

    response = preview(admin_client, token)

    labels = response.context["labels"]
    assert labels[:2] == ["First name", "Last name"]
    assert response.context["rows"][0]["values"][:2] == ["太郎", "山田"]


def test_japanese_headers_need_no_choice(admin_client):
    japanese = (
        "姓,名,メールアドレス,電話番号,会社名,役職\n"
        "山田,太郎,t@example.jp,03-1234-5678,さくら,部長\n"
    )
    response = admin_import(
        admin_client, step1(file=crm_file(japanese, "顧客.csv"), encoding="utf-8-sig")
    )
    assert response.context["result"].imported == 1
    contact = Contact.objects.get()
    assert (contact.last_name, contact.first_name, contact.title) == (
        "山田",
        "太郎",
        "部長",
    )
    assert contact.company.name == "さくら"


def test_an_excel_workbook_goes_through_the_same_steps(admin_client, tmp_path):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["First Name", "Last Name", "Phone", "Mobile", "Created Date"])
    # Excel keeps a number typed without its "0" as a number: 819012345678.
    sheet.append(
        ["Taro", "Yamada", "09012345678", 819011112222, datetime.date(2026, 1, 5)]
    )
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    workbook = SimpleUploadedFile("contacts.xlsx", path.read_bytes())
    token = token_of(upload(admin_client, step1(file=workbook)))

    page = admin_client.get(map_url(token))
    assert page.context["columns"][4]["samples"] == ["2026-01-05"]
    shown = preview(admin_client, token, {"column_4": "ignore"})
    row = dict(
        zip(shown.context["labels"], shown.context["rows"][0]["values"], strict=True)
    )
    assert (row["Phone"], row["Mobile"]) == ("+819012345678", "+819011112222")
    imported = admin_client.post(confirm_url(token))

    assert imported.context["result"].imported == 1
    assert Contact.objects.get().mobile == "+819011112222"


# ----- step 4: the import ------------------------------------------------------------


def test_confirm_imports_reports_and_deletes_the_upload(admin_client, admin_user, acme):
    token = token_of(upload(admin_client, step1(acme)))
    preview(admin_client, token, {LEAD_SOURCE: "ignore"})

    response = admin_client.post(confirm_url(token))

    assert response.status_code == 200
    result = response.context["result"]
    assert (result.imported, result.refused) == (2, 1)
    assert "line 3: Email: Enter a valid email address." in response.text
    assert set(Contact.objects.values_list("email", flat=True)) == {
        "taro.yamada@example.com",
        "aiko@example.jp",
    }
    assert LogEntry.objects.get(object_id=str(acme.pk)).user == admin_user
    assert uploads() == []
    assert token not in admin_client.session["contact_imports"]
    # Sent twice (a double click, the browser's back): nothing is imported again.
    again = admin_client.post(confirm_url(token), follow=True)
    assert "no longer available" in again.text
    assert Contact.objects.count() == 2


def test_confirm_needs_the_preview_of_the_same_choices_and_a_post(admin_client):
    token = token_of(upload(admin_client, step1()))
    assert admin_client.get(confirm_url(token))["Location"] == map_url(token)
    refused = admin_client.post(confirm_url(token), follow=True)
    assert "check the preview again" in refused.text
    assert not Contact.objects.exists()
    # Previewed, then changed through Back: the changed choices are not imported.
    page = admin_client.get(map_url(token))
    admin_client.post(map_url(token), {**chosen(page), LEAD_SOURCE: "ignore"})
    admin_client.post(
        map_url(token), {**chosen(page), LEAD_SOURCE: "title", "back": "Back"}
    )
    refused = admin_client.post(confirm_url(token), follow=True)
    assert "check the preview again" in refused.text
    assert not Contact.objects.exists()


def test_all_or_nothing_from_the_first_step_holds_at_the_last(admin_client, acme):
    response = admin_import(
        admin_client, step1(acme, atomic="on"), {LEAD_SOURCE: "ignore"}
    )
    assert "Nothing imported (all or nothing)" in response.text
    assert not Contact.objects.exists()


# ----- back buttons keep the choices -------------------------------------------------


def test_back_from_the_columns_keeps_the_file_the_options_and_the_choices(
    admin_client, acme
):
    token = token_of(upload(admin_client, step1(acme, atomic="on")))
    page = admin_client.get(map_url(token))

    # when: a choice is changed, then Back
    back = admin_client.post(
        map_url(token), {**chosen(page), LEAD_SOURCE: "title", "back": "Back"}
    )

    # then: step 1 with its options and the file kept
    assert back["Location"] == f"{IMPORT}?token={token}"
    first = admin_client.get(back["Location"])
    form = first.context["form"]
    assert (form["partition"].value(), form["atomic"].value()) == (acme.pk, True)
    assert "salesforce.csv is kept unless you choose another file." in first.text
    assert f'name="token" value="{token}"' in first.text
    # Next without a new file: the same upload, the choice still there.
    again = admin_client.post(
        IMPORT, {"token": token, "partition": acme.pk, "encoding": "utf-8-sig"}
    )
    assert token_of(again) == token
    assert chosen(admin_client.get(map_url(token)))[LEAD_SOURCE] == "title"


def test_back_from_the_preview_shows_the_choices_made(admin_client):
    token = token_of(upload(admin_client, step1()))
    shown = preview(admin_client, token, {LEAD_SOURCE: "title"})
    assert f'href="{map_url(token)}"' in shown.text
    assert chosen(admin_client.get(map_url(token)))[LEAD_SOURCE] == "title"


# ----- whose upload ------------------------------------------------------------------


def test_a_token_of_another_user_is_refused(admin_client, tenant, acme):
    token = token_of(upload(admin_client, step1(acme)))
    preview(admin_client, token, {LEAD_SOURCE: "ignore"})
    colleague = factories.signed_in(factories.administrator(tenant))

    for response in (
        colleague.get(map_url(token), follow=True),
        colleague.post(confirm_url(token), follow=True),
        colleague.get(f"{IMPORT}?token={token}"),
    ):
        assert "Taro" not in response.text
        assert "salesforce.csv" not in response.text
    assert not Contact.objects.exists()
    assert len(uploads()) == 1  # still the owner's


def test_the_file_is_bound_to_its_user_even_with_the_session_copied(
    admin_client, tenant
):
    """The session alone is not enough: the file's own record names its user."""
    token = token_of(upload(admin_client, step1()))
    other = factories.administrator(tenant)
    assert import_uploads.load_upload(token, user_id=other.pk) is None
    owner = admin_client.session["_auth_user_id"]
    assert import_uploads.load_upload(token, user_id=int(owner)) is not None


@pytest.mark.parametrize("token", ["x" * 32, "nope", "a" * 31 + "!"])
def test_a_wrong_token_is_refused_clearly(admin_client, token):
    response = admin_client.get(map_url(token), follow=True)
    assert response.status_code == 200
    assert "no longer available" in response.text
    assert admin_client.post(confirm_url(token)).status_code == 302
    assert not Contact.objects.exists()


def test_an_upload_older_than_a_day_is_gone_and_deleted(admin_client, settings):
    token = token_of(upload(admin_client, step1()))
    day_ago = time.time() - settings.CONTACT_IMPORT_UPLOAD_MAX_AGE - 60
    for path in Path(settings.CONTACT_IMPORT_UPLOAD_DIR).iterdir():
        os.utime(path, (day_ago, day_ago))

    assert "no longer available" in admin_client.get(map_url(token), follow=True).text
    # The next upload sweeps it away.
    fresh = token_of(upload(admin_client, step1()))
    assert [p.stem for p in uploads()] == [fresh]


def test_superuser_picks_the_tenant_and_the_file_stays_with_it(
    provider_client, tenant, acme
):
    response = admin_import(
        provider_client,
        step1(acme, tenant=tenant.pk),
        {LEAD_SOURCE: "ignore"},
    )
    assert response.context["result"].imported == 2
    assert set(Contact.objects.values_list("tenant", flat=True)) == {tenant.pk}


def test_the_steps_need_the_add_contact_permission(admin_client, tenant):
    token = token_of(upload(admin_client, step1()))
    viewer = factories.UserFactory(is_staff=True)
    factories.Membership.objects.create(user=viewer, tenant=tenant)
    client = Client()
    client.force_login(viewer)
    assert client.get(map_url(token)).status_code == 403
    assert client.post(confirm_url(token)).status_code == 403


def test_every_step_speaks_japanese(admin_client, acme):
    ja = {"HTTP_ACCEPT_LANGUAGE": "ja"}
    first = admin_client.get(IMPORT, **ja)
    assert "ステップ 1/3: ファイル" in first.text
    assert "文字コード" in first.text and "Encoding" not in first.text
    token = token_of(admin_client.post(IMPORT, step1(acme), **ja))

    columns = admin_client.get(map_url(token), **ja)
    assert "この列の内容を選んでください" in columns.text
    assert "インポートしない" in columns.text
    assert "Do not import" not in columns.text
    assert "Choose what this column holds" not in columns.text
    shown = admin_client.post(
        map_url(token), {**chosen(columns), LEAD_SOURCE: "ignore"}, **ja
    )
    assert "ステップ 3/3: プレビュー" in shown.text
    assert "新しい連絡先" in shown.text
    assert "携帯電話" in shown.context["labels"]
    assert "New contact" not in shown.text


def test_the_admin_answers_a_damaged_workbook_with_a_form_error(admin_client):
    """A workbook whose compressed bytes are damaged (zlib.error inside zipfile) is
    a form error on step 1, not a 500 (review of issue 16)."""
    import io
    import zipfile

    client = admin_client
    client.raise_request_exception = False
    book = openpyxl.Workbook()
    book.active.append(["Email"])
    book.active.append(["a@example.com"])
    buffer = io.BytesIO()
    book.save(buffer)
    raw = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo("xl/styles.xml")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for index in range(start + 10, start + 40):
        raw[index] ^= 0x5A
    response = upload(
        client,
        {
            "partition": "",
            "encoding": "utf-8-sig",
            "file": SimpleUploadedFile("crm.xlsx", bytes(raw)),
        },
    )
    assert response.status_code == 200
    assert "not an Excel workbook" in " ".join(response.context["form"].errors["file"])


def test_a_file_of_more_columns_than_the_mapping_page_can_post_is_refused_at_step_one(
    admin_client, settings
):
    """One select per column: past DATA_UPLOAD_MAX_NUMBER_FIELDS the mapping page's
    POST would be refused by Django with a blank "Bad Request (400)". Step 1 says
    so, with the count and the way out; a file just under the limit is mapped."""
    from django.core.files.uploadedfile import SimpleUploadedFile as File

    def wide(columns: int) -> File:
        header = ",".join(["Email"] + [f"Custom {i}" for i in range(columns - 1)])
        return File("wide.csv", f"{header}\na@example.com\n".encode())

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    response = upload(admin_client, step1(file=wide(1201)))
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file has 1201 columns, more than the 990 this page can map: import it "
        "with manage.py import_contacts, naming the columns to keep with --map and "
        "skipping the others with --ignore-unknown, or remove columns from the file."
    ]
    assert uploads() == []

    response = upload(admin_client, step1(file=wide(990)))
    token = token_of(response)
    choices = {"column_0": "email", **{f"column_{i}": "ignore" for i in range(1, 990)}}
    response = admin_client.post(map_url(token), choices)
    assert response.status_code == 200
    assert "preview" in response.context
