"""Issue 17, what intake records shown and handed over: an email's original message
and kept attachments downloadable from its admin page (scoped to the viewer's
tenant), its attachments, intake notes and HTML body shown read-only (the HTML as
escaped text), attachments listed in the agent's contact history, original messages
in the client's export zip, and deleted with the client."""

import io
import json
import zipfile
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ccadmin.models import Membership
from contacts.email_downloads import download_name
from contacts.mail_parts import attachment_content, attachment_parts
from contacts.models import Contact, EmailSource
from partitions import actions as partition_actions
from partitions.export import export_client_partition
from tests import factories

HOSTILE_HTML = '<p>Hi</p><script>alert("owned")</script><img src=x onerror=alert(1)>'
HTML_ATTACHMENT = b"<html><script>document.cookie</script></html>"


@pytest.fixture
def acme(tenant):
    return factories.ClientPartitionFactory(tenant=tenant, name="Acme")


@pytest.fixture
def raw():
    """A customer's email with a PDF (請求書.pdf) and an HTML page attached."""
    return factories.customer_message(
        html=HOSTILE_HTML,
        attachments=[("page.html", "text", "html", HTML_ATTACHMENT)],
    )


@pytest.fixture
def email(tenant, acme, raw):
    return factories.email_with_source(
        tenant,
        raw,
        partition=acme,
        body_html=HOSTILE_HTML,
        notes="The date could not be read: the time of receipt is recorded.\n"
        "The subject had 1,200 characters: the first 998 are recorded.",
    )


def original_url(email) -> str:
    return reverse("admin:contacts_email_original", args=[email.pk])


def attachment_url(email, index: int) -> str:
    return reverse("admin:contacts_email_attachment", args=[email.pk, index])


def content_of(response) -> bytes:
    return b"".join(response.streaming_content)


# ----- which parts are attachments (shared with intake) -----------------------------


def test_attachment_parts_are_the_non_text_and_attached_leaves_in_order():
    forwarded = EmailMessage()
    forwarded["Subject"] = "Fwd"
    forwarded.set_content("the forwarded text")
    forwarded.add_attachment(
        b"\x89PNG", maintype="image", subtype="png", filename="map.png"
    )
    message = EmailMessage()
    message.set_content("body")
    message.add_alternative("<p>body</p>", subtype="html")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf")
    message.add_attachment(forwarded)  # message/rfc822: shown as text, walked into
    message.add_attachment("a,b\n", subtype="csv", filename="list.csv")

    parts = attachment_parts(
        message_from_bytes(message.as_bytes(), policy=policy.default)
    )

    assert [(p.get_content_type(), p.get_filename()) for p in parts] == [
        ("application/pdf", None),
        ("image/png", "map.png"),
        ("text/csv", "list.csv"),
    ]


def test_a_bounces_delivery_status_and_a_broken_multipart_are_not_attachments():
    bounce = (
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n"
        b"\r\n--B\r\nContent-Type: text/plain\r\n\r\nUndelivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example\r\n\r\n"
        b"Final-Recipient: rfc822; a@b.example\r\n"
        b"Action: failed\r\n\r\n--B--\r\n"
    )
    broken = b"Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n"
    for raw in (bounce, broken):
        message = message_from_bytes(raw, policy=policy.default)
        assert list(attachment_parts(message)) == []
    assert attachment_content(bounce, 0) is None


def test_a_download_name_keeps_no_control_character_or_path():
    assert download_name("../../etc/passwd", "x") == "_.._etc_passwd"
    assert download_name("a\r\nSet-Cookie: x", "x") == "a__Set-Cookie: x"
    assert download_name("", "attachment-2") == "attachment-2"
    assert download_name("請求書.pdf", "x") == "請求書.pdf"


# ----- downloads from the admin -----------------------------------------------------


def test_download_original_gives_the_message_as_received(admin_client, email, raw):
    response = admin_client.get(original_url(email))

    assert response.status_code == 200
    assert content_of(response) == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == (
        f'attachment; filename="email-{email.pk}.eml"'
    )


def test_download_an_attachment_with_its_non_ascii_name(admin_client, email):
    response = admin_client.get(attachment_url(email, 0))

    assert response.status_code == 200
    assert content_of(response) == factories.PDF_BYTES
    assert response["Content-Type"] == "application/octet-stream"
    # RFC 5987: the name percent-encoded in UTF-8, never inline.
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf"
    )


def test_an_html_attachment_is_downloaded_never_shown(admin_client, email):
    response = admin_client.get(attachment_url(email, 1))

    assert content_of(response) == HTML_ATTACHMENT
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_attachment_whose_content_is_not_kept_or_absent_is_404(
    admin_client, tenant, raw
):
    not_kept = factories.email_with_source(tenant, raw, kept=False)
    kept = factories.email_with_source(tenant, raw)

    assert admin_client.get(attachment_url(not_kept, 0)).status_code == 404
    assert admin_client.get(attachment_url(kept, 2)).status_code == 404


def test_an_email_without_a_source_has_nothing_to_download(admin_client, tenant):
    typed = factories.EmailFactory(
        tenant=tenant,
        attachments=[
            {"name": "a.pdf", "type": "application/pdf", "size": 3, "kept": True}
        ],
    )

    assert admin_client.get(original_url(typed)).status_code == 404
    assert admin_client.get(attachment_url(typed, 0)).status_code == 404
    page = admin_client.get(reverse("admin:contacts_email_change", args=[typed.pk]))
    assert "Download original" not in page.text
    assert "Not stored" in page.text


def test_another_tenants_email_is_404(other_tenant, raw, admin_client):
    theirs = factories.email_with_source(other_tenant, raw)

    assert admin_client.get(original_url(theirs)).status_code == 404
    assert admin_client.get(attachment_url(theirs, 0)).status_code == 404
    bad_id = reverse("admin:contacts_email_original", args=["not-a-number"])
    assert admin_client.get(bad_id).status_code == 404


def test_the_service_provider_downloads_any_tenants_original(
    provider_client, other_tenant, raw
):
    theirs = factories.email_with_source(other_tenant, raw)

    response = provider_client.get(original_url(theirs))

    assert response.status_code == 200 and content_of(response) == raw


def test_staff_without_the_view_permission_on_emails_get_403(tenant, email):
    staff = factories.UserFactory(is_staff=True)
    Membership.objects.create(user=staff, tenant=tenant)
    client = factories.signed_in(staff)

    assert client.get(original_url(email)).status_code == 403
    assert client.get(attachment_url(email, 0)).status_code == 403


def test_signed_out_visitors_are_sent_to_the_login_page(client, email):
    response = client.get(original_url(email))
    assert response.status_code == 302 and "/login/" in response["Location"]


# ----- the admin's email page and lists ---------------------------------------------


def test_the_email_page_shows_attachments_notes_and_the_html_escaped(
    admin_client, email
):
    response = admin_client.get(reverse("admin:contacts_email_change", args=[email.pk]))

    text = response.text
    assert response.status_code == 200
    assert "<td>請求書.pdf</td><td>application/pdf</td>" in text
    assert f"<td>{len(factories.PDF_BYTES)}\xa0bytes</td>" in text
    assert f'href="{attachment_url(email, 0)}"' in text
    assert f'href="{original_url(email)}"' in text
    assert (
        "<li>The date could not be read: the time of receipt is recorded.</li>" in text
    )
    assert "<li>The subject had 1,200 characters" in text
    # The HTML body is text in a <pre>, its script inert.
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in text
    assert '<script>alert("owned")' not in text
    assert "onerror=alert" not in text.replace("&lt;img src=x onerror=alert", "")
    assert "ccadmin/email-admin.css" in text


def test_the_email_page_reads_the_sources_size_not_the_source(admin_client, email):
    with CaptureQueriesContext(connection) as captured:
        admin_client.get(reverse("admin:contacts_email_change", args=[email.pk]))

    reads = [q["sql"] for q in captured if "contacts_emailsource" in q["sql"]]
    assert len(reads) == 1 and "compressed" not in reads[0]


def test_the_email_list_never_reads_sources_and_is_bounded(tenant, admin_client, raw):
    url = reverse("admin:contacts_email_changelist")
    factories.email_with_source(tenant, raw)
    admin_client.get(url)  # warm the session and content types
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    for _ in range(4):
        factories.email_with_source(tenant, raw)
    with CaptureQueriesContext(connection) as five:
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(five) == len(one)
    assert not [q for q in five if "contacts_emailsource" in q["sql"]]


def test_a_placeholder_contact_shows_its_label_and_the_field_read_only(
    tenant, acme, admin_client
):
    withheld = Contact.objects.create(
        tenant=tenant,
        partition=acme,
        last_name="Withheld number",
        placeholder=Contact.Placeholder.WITHHELD,
    )

    listed = admin_client.get(
        reverse("admin:contacts_contact_changelist"), headers={"accept-language": "ja"}
    )
    page = admin_client.get(
        reverse("admin:contacts_contact_change", args=[withheld.pk])
    )

    assert "非通知" in listed.text
    assert 'name="placeholder"' not in page.text
    assert '<div class="readonly">Withheld number</div>' in page.text


# ----- the agent's contact history ----------------------------------------------------


def test_the_agents_history_lists_each_emails_attachments(
    agent_client, tenant, acme, raw
):
    contact = factories.ContactFactory(tenant=tenant, partition=acme)
    factories.email_with_source(tenant, raw, partition=acme, contact=contact)
    url = reverse("agent:contact", args=[contact.pk])
    with CaptureQueriesContext(connection) as one:
        agent_client.get(url)
    for _ in range(3):
        factories.email_with_source(tenant, raw, partition=acme, contact=contact)
    with CaptureQueriesContext(connection) as four:
        response = agent_client.get(url)

    text = response.text
    assert text.count('<li class="attachment">請求書.pdf ') == 4
    assert text.count("page.html <span") == 4
    assert "(application/pdf, " in text and "(text/html, " in text
    assert "2 attachments" in text
    # One query for all the emails, whatever their number; no source is read.
    assert len(four) == len(one)
    assert not [q for q in four if "contacts_emailsource" in q["sql"]]


def test_the_agent_sees_a_placeholder_contact_by_its_label(agent_client, tenant, acme):
    unknown = Contact.objects.create(
        tenant=tenant,
        partition=acme,
        last_name="Unknown sender",
        placeholder=Contact.Placeholder.UNKNOWN_SENDER,
    )
    factories.EmailFactory(tenant=tenant, partition=acme, contact=unknown, sender="")

    english = agent_client.get(reverse("agent:contact", args=[unknown.pk]))
    japanese = agent_client.get(
        reverse("agent:contact", args=[unknown.pk]), headers={"accept-language": "ja"}
    )

    assert "<h1>Unknown sender</h1>" in english.text
    assert "()" not in english.text  # no empty sender beside the subject
    assert "<h1>差出人不明</h1>" in japanese.text


# ----- the client's export and deletion -----------------------------------------------


def test_the_export_holds_each_original_message(tenant, acme, admin_user, raw):
    first = factories.email_with_source(tenant, raw, partition=acme)
    second_raw = b"From: a@example.jp\r\nSubject: two\r\n\r\nsecond\r\n"
    second = factories.email_with_source(tenant, second_raw, partition=acme)
    factories.EmailFactory(tenant=tenant, partition=acme)  # typed in: no source
    factories.email_with_source(tenant, raw)  # no client: not exported
    out = io.BytesIO()

    manifest = export_client_partition(acme, out, actor=admin_user)

    with zipfile.ZipFile(out) as archive:
        sources = {
            name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("emails/")
        }
        written = json.loads(archive.read("manifest.json"))
        emails_csv = archive.read("emails.csv").decode("utf-8-sig")
    assert sources == {
        f"emails/{first.pk}.eml": raw,
        f"emails/{second.pk}.eml": second_raw,
    }
    assert manifest.counts["original_emails"] == 2
    assert written["counts"]["original_emails"] == 2
    assert written["counts"]["emails"] == 3
    assert written["folders"] == {"original_emails": "emails/"}
    assert '""name"": ""請求書.pdf""' in emails_csv


def test_deleting_the_client_deletes_its_original_messages(
    tenant, acme, admin_user, raw
):
    ours = [factories.email_with_source(tenant, raw, partition=acme) for _ in range(3)]
    kept = factories.email_with_source(tenant, raw)  # no client: stays

    partition_actions.delete_client_partition(acme, actor=admin_user)

    assert not EmailSource.objects.filter(email_id__in=[e.pk for e in ours]).exists()
    assert list(EmailSource.objects.values_list("email_id", flat=True)) == [kept.pk]


def test_the_export_page_counts_the_original_messages(admin_client, tenant, acme, raw):
    for _ in range(2):
        factories.email_with_source(tenant, raw, partition=acme)
    factories.EmailFactory(tenant=tenant, partition=acme)  # no source

    page = admin_client.get(
        reverse("admin:partitions_clientpartition_export", args=[acme.pk])
    )

    assert '<td data-rows="emails/">2</td>' in page.text
    assert '<td data-rows="emails.csv">3</td>' in page.text
