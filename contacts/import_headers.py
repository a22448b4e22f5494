"""The column headers the contact importer recognises: one table, for every CRM.

A client hands over its customer list as its CRM exports it. The usual headers of
Salesforce, HubSpot and Zendesk exports, of plain Japanese spreadsheets and of our
own `partitions export` are listed here once, each with the contact field it fills.
Headers are compared by `header_key`: NFKC-normalised, case-folded, with spaces and
punctuation removed, so "First Name", "first_name", "FIRST-NAME" and the full-width
"Ｆｉｒｓｔ　Ｎａｍｅ" are one header.

A header not listed here (a CRM's "Lead Source", "Contact Owner", ...) is unknown:
the import refuses it unless the administrator maps it (`--map "Header=field"`, the
admin's mapping page) or skips unknown columns (`--ignore-unknown`), so a typo never
silently drops a column of data.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext_lazy as _

# What a column may fill: a contact field, "name" (a whole name, split like routing
# splits a sender's display name: contacts.actions.split_display_name) or "ignore".
# Field name -> label, in the order the admin's mapping page offers them.
FIELDS: dict[str, str] = {
    "first_name": _("first name"),
    "last_name": _("last name"),
    "name": _("name (split into first and last name)"),
    "title": _("title"),
    "company": _("company"),
    "email": _("email"),
    "phone": _("phone"),
    "mobile": _("mobile"),
    "ignore": _("ignore"),
}
IGNORE = "ignore"

# Field -> the headers that fill it, as CRMs and people write them. Our own export's
# headers (`partitions export`, contacts.csv) are here too, so that an export imports
# as it is; its id and date columns mean nothing in another database: ignored.
_HEADERS: dict[str, tuple[str, ...]] = {
    "first_name": ("First Name", "Given Name", "First", "名", "名（名前）", "下の名前"),
    "last_name": ("Last Name", "Surname", "Family Name", "Last", "姓", "苗字", "名字"),
    # Zendesk's users export has one "Name"; Japanese lists often one 氏名.
    "name": (
        "Name",
        "Full Name",
        "Contact Name",
        "氏名",
        "名前",
        "お名前",
        "フルネーム",
    ),
    "title": ("Title", "Job Title", "Position", "役職", "肩書き", "肩書"),
    # Salesforce "Account Name", HubSpot "Company Name", Zendesk "Organization".
    "company": (
        "Company",
        "Company Name",
        "Account Name",
        "Account",
        "Organization",
        "Organisation",
        "Organization Name",
        "会社名",
        "会社",
        "企業名",
        "勤務先",
    ),
    "email": (
        "Email",
        "E-mail",
        "Email Address",
        "E-mail Address",
        "Mail",
        "メールアドレス",
        "メール",
        "Eメール",
    ),
    "phone": (
        "Phone",
        "Phone Number",
        "Business Phone",
        "Work Phone",
        "Telephone",
        "Tel",
        "電話番号",
        "電話",
    ),
    "mobile": (
        "Mobile",
        "Mobile Phone",
        "Mobile Phone Number",
        "Mobile Number",
        "Cell Phone",
        "Cell",
        "携帯電話",
        "携帯電話番号",
        "携帯番号",
        "携帯",
    ),
    # A CRM's own record id and our export's ids and creation time: they identify
    # the row in the system it came from, not the person, so they are skipped.
    IGNORE: ("ID", "Record ID", "Contact ID", "Company ID", "Created At"),
}


def header_key(value: str) -> str:
    """The form headers are compared in: NFKC, case-folded, letters and digits only
    ("E-mail Address " -> "emailaddress", "メールアドレス" stays as it is)."""
    folded = unicodedata.normalize("NFKC", value or "").casefold()
    return "".join(char for char in folded if char.isalnum())


# header_key(header) -> field: the one table every import reads.
HEADERS: dict[str, str] = {
    header_key(header): field
    for field, headers in _HEADERS.items()
    for header in headers
}


def recognised_field(header: str) -> str | None:
    """The field a column of this header fills ("ignore" for one skipped on
    purpose), or None for an unknown header."""
    return HEADERS.get(header_key(header))
