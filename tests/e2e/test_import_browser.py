"""Onboarding a client's contact list in a real browser (issue 16, "Done when"): the
file as the client's CRM exported it (Salesforce-shaped CSV, the same rows as an
Excel workbook, HubSpot's and Zendesk's exports, a file with Japanese headers), its
columns mapped on the page, a preview, then the import; axe-clean, under the
Content-Security-Policy, at 1366 px.

The README's screenshot of the columns step is taken here (admin-import-columns).
"""

import datetime
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from tests import factories
from tests.e2e.conftest import sign_in_admin

WIDE = {"width": 1366, "height": 900}
SALESFORCE_HEADER = [
    "First Name", "Last Name", "Title", "Account Name", "Email", "Phone", "Mobile",
    "Lead Source", "Created Date", "Contact Owner",
]  # fmt: skip
SALESFORCE_ROWS = [
    ["Taro", "Yamada", "Claims Manager", "Hoshi Airlines", "taro@hoshi.example",
     "03-1234-5678", "090-1111-2222", "Web", "2026-01-05", "Hana Sato"],
    ["Emma", "Brown", "Buyer", "Northwind Traders", "emma@northwind.example",
     "+44 20 7946 0958", "", "Partner", "2026-02-11", "Hana Sato"],
]  # fmt: skip


def _csv(path, header, rows) -> str:
    def quoted(cells):
        return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)

    path.write_text("\n".join([quoted(header), *map(quoted, rows)]) + "\n")
    return str(path)


def _xlsx(path, header, rows) -> str:
    """The same rows as Excel keeps them: a phone typed as a number loses nothing
    only if the importer reads the number right; the date is a date cell."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Contacts")
    sheet.append(header)
    for row in rows:
        cells = list(row)
        cells[8] = datetime.date.fromisoformat(cells[8])
        sheet.append(cells)
    book.save(path)
    return str(path)


def _open_import(page, url: str, client: str, path: str, next_label: str) -> None:
    """From the contact list, "Import contacts": the client, the file, next."""
    page.goto(url + "/admin/contacts/contact/")
    page.locator("a.contact-import").click()
    page.select_option("#id_partition", label=client)
    page.set_input_files("#id_file", path)
    page.get_by_role("button", name=next_label).click()
    expect(page.locator("table.import-columns")).to_be_visible()


def _ignore_unrecognised(page) -> list[str]:
    """Set each column the importer did not recognise to "Do not import"; the ids
    of their selects."""
    ignored = []
    for select in page.locator("table.import-columns select").all():
        if select.input_value() == "":
            select.select_option("ignore")
            ignored.append(select.get_attribute("id"))
    return ignored


def _stored(tenant) -> dict[str, tuple]:
    return {
        contact.email: (
            contact.first_name,
            contact.last_name,
            contact.title,
            contact.company.name if contact.company else "",
            contact.phone,
            contact.mobile,
        )
        for contact in Contact.objects.filter(tenant=tenant).select_related("company")
    }


EXPECTED = {
    "taro@hoshi.example": (
        "Taro", "Yamada", "Claims Manager", "Hoshi Airlines",
        "+81312345678", "+819011112222",
    ),
    "emma@northwind.example": (
        "Emma", "Brown", "Buyer", "Northwind Traders", "+442079460958", "",
    ),
}  # fmt: skip


def test_salesforce_export_is_mapped_previewed_and_imported(
    live_server, browser, tenant, tmp_path, screenshot, axe_check
):
    # given: an administrator at 1366 px, a client, its Salesforce export
    context = browser.new_context(locale="en-US", viewport=WIDE)
    page = context.new_page()
    factories.ClientPartitionFactory(tenant=tenant, name="Hoshi Airlines")
    admin = factories.administrator(tenant)
    path = _csv(tmp_path / "salesforce.csv", SALESFORCE_HEADER, SALESFORCE_ROWS)
    url = live_server.url
    sign_in_admin(page, url, admin.username)

    # when: the file is chosen
    page.goto(url + "/admin/contacts/contact/import/")
    axe_check(page, "the import page")
    _open_import(page, url, "Hoshi Airlines", path, "Next: the columns")

    # then: each column with its first value and its field; the unknown ones empty
    columns = page.locator("table.import-columns")
    expect(page.locator("nav .breadcrumbs")).to_contain_text("Import contacts")
    expect(columns).to_contain_text("Account Name")
    expect(columns).to_contain_text("Hoshi Airlines")
    expect(page.get_by_label("Account Name")).to_have_value("company")
    expect(page.get_by_label("Mobile", exact=True)).to_have_value("mobile")

    # when: preview without choosing for the unknown columns: refused, said where
    columns_url = page.url
    page.get_by_role("button", name="Next: preview").click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("tr.errors")).to_have_count(3)
    # ... so the administrator chooses "Do not import" for them
    page.goto(columns_url)
    ignored = _ignore_unrecognised(page)
    assert ignored == ["id_column_7", "id_column_8", "id_column_9"]
    axe_check(page, "the columns step")
    screenshot(page, "admin-import-columns")
    page.get_by_role("button", name="Next: preview").click()

    # then: the rows as they will be stored
    table = page.locator("table.import-preview")
    expect(table).to_contain_text("+819011112222")
    expect(table).to_contain_text("Northwind Traders")
    expect(page.locator(".import-preview-counts")).to_contain_text(
        "2 contacts would be created"
    )
    axe_check(page, "the preview")
    screenshot(page, "admin-import-preview")
    assert not Contact.objects.exists()

    # when: Back keeps the choices; then Import
    page.get_by_role("link", name="Back").click()
    for select_id in ignored:
        expect(page.locator(f"#{select_id}")).to_have_value("ignore")
    page.get_by_role("button", name="Next: preview").click()
    page.get_by_role("button", name="Import", exact=True).click()

    # then: the report, and the contacts as the rows say
    expect(page.locator(".import-summary")).to_contain_text("2")
    assert _stored(tenant) == EXPECTED
    context.close()


def test_the_same_rows_as_an_excel_workbook_import_alike(
    live_server, page, tenant, tmp_path
):
    factories.ClientPartitionFactory(tenant=tenant, name="Hoshi Airlines")
    admin = factories.administrator(tenant)
    path = _xlsx(tmp_path / "salesforce.xlsx", SALESFORCE_HEADER, SALESFORCE_ROWS)
    url = live_server.url
    sign_in_admin(page, url, admin.username)

    _open_import(page, url, "Hoshi Airlines", path, "Next: the columns")
    expect(page.locator("table.import-columns")).to_contain_text("2026-01-05")
    _ignore_unrecognised(page)
    page.get_by_role("button", name="Next: preview").click()
    expect(page.locator("table.import-preview")).to_contain_text("+81312345678")
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.locator(".import-summary")).to_be_visible()
    assert _stored(tenant) == EXPECTED


def test_a_japanese_file_imports_with_no_change_in_japanese(
    live_server, browser, tenant, tmp_path, screenshot, axe_check
):
    # given: the admin in Japanese, a list with Japanese headers
    context = browser.new_context(locale="ja-JP", viewport=WIDE)
    page = context.new_page()
    factories.ClientPartitionFactory(tenant=tenant, name="さくら銀行")
    admin = factories.administrator(tenant)
    path = _csv(
        tmp_path / "顧客.csv",
        ["姓", "名", "メールアドレス", "電話番号", "携帯電話", "会社名", "役職"],
        [["山田", "太郎", "taro@sakura.example", "03-1234-5678", "090-1111-2222",
          "さくら銀行", "部長"]],
    )  # fmt: skip
    url = live_server.url
    sign_in_admin(page, url, admin.username)

    # when: nothing is changed on the way
    _open_import(page, url, "さくら銀行", path, "次へ: 列の確認")
    axe_check(page, "the columns step in Japanese")
    page.get_by_role("button", name="次へ: プレビュー").click()
    expect(page.locator("table.import-preview")).to_contain_text("山田")
    axe_check(page, "the preview in Japanese")
    screenshot(page, "ja-admin-import-preview")
    page.get_by_role("button", name="インポート", exact=True).click()

    # then
    expect(page.locator(".import-summary")).to_be_visible()
    assert _stored(tenant) == {
        "taro@sakura.example": (
            "太郎", "山田", "部長", "さくら銀行", "+81312345678", "+819011112222",
        )
    }  # fmt: skip
    context.close()


SAMPLES = Path(__file__).resolve().parents[1] / "data" / "import"
# The three people of tests/data/import's samples, as the page must store them:
# email -> (first, last, title, company, phone, mobile). Zendesk's export has one
# "Name" column (split as routing splits a display name) and no title or mobile.
SAMPLE_PEOPLE = {
    "aiko.tanaka@globex.example": (
        "Aiko", "Tanaka", "Manager", "Globex", "+81312345678", "+819011112222",
    ),
    "ben.smith@initech.example": (
        "Ben", "Smith", "Buyer", "Initech", "+16502530000", "",
    ),
    "taro@yamada.example": (
        "太郎", "山田", "部長", "山田商事株式会社", "+81612345678", "+818033334444",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("hubspot.csv", SAMPLE_PEOPLE),
        (
            "zendesk.csv",
            {
                email: (first, last, "", company, phone, "")
                for email, (
                    first,
                    last,
                    _t,
                    company,
                    phone,
                    _m,
                ) in SAMPLE_PEOPLE.items()
            },
        ),
    ],
)
def test_hubspot_and_zendesk_exports_import_from_the_page(
    live_server, page, tenant, sample, expected
):
    # given: a client, its CRM's export as it comes (tests/data/import)
    factories.ClientPartitionFactory(tenant=tenant, name="Globex Care")
    admin = factories.administrator(tenant)
    url = live_server.url
    sign_in_admin(page, url, admin.username)

    # when: only the unrecognised columns are set to "Do not import"
    _open_import(page, url, "Globex Care", str(SAMPLES / sample), "Next: the columns")
    _ignore_unrecognised(page)
    page.get_by_role("button", name="Next: preview").click()
    expect(page.locator(".import-preview-counts")).to_contain_text(
        "3 contacts would be created"
    )
    page.get_by_role("button", name="Import", exact=True).click()

    # then: the contacts, companies, titles and numbers as the rows say
    expect(page.locator(".import-summary")).to_be_visible()
    assert _stored(tenant) == expected
