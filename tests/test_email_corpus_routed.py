"""Issue 17, end to end: the email corpus (tests/data/email) and CPython's own email
test corpus fed to `receive_interactions` the way a support mailbox is, with no
--service: every message is recorded in its right client, with its sender contact,
subject, readable body, attachments (downloadable from the admin as listed) and
original, or refused with a stated reason; nothing stops the command."""

import os
import re
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contacts.models import Contact, Email, EmailSource
from tests import factories
from tests.test_email_intake import (
    CORPUS,
    EXPECTED,
    NOT_READABLE,
    _cpython_email_corpus,
)


@pytest.fixture
def acme(tenant):
    """A client whose support address every corpus email was sent to."""
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ServiceFactory(
        tenant=tenant,
        name="Acme Support",
        type="email",
        client_partition=acme,
        email_address="support@acme.example",
    )
    return acme


def receive(tenant, *paths, out=None, **options) -> str:
    out = out or StringIO()
    call_command(
        "receive_interactions",
        "--tenant",
        tenant.slug,
        *map(str, paths),
        stdout=out,
        **options,
    )
    return out.getvalue()


def test_the_whole_corpus_is_recorded_in_its_client(tenant, acme):
    output = receive(tenant, *sorted(CORPUS.glob("*.eml")))

    assert "rejected" not in output.replace("0 rejected", "")
    assert f"assigned to Acme: {len(EXPECTED)}" in output
    assert Email.objects.filter(partition=acme).count() == len(EXPECTED)
    assert EmailSource.objects.count() == len(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_corpus_email_records_its_sender_subject_body_and_attachments(
    tenant, acme, admin_client, name
):
    receive(tenant, CORPUS / name)

    email = Email.objects.select_related("contact").get()
    expected = EXPECTED[name]
    assert email.partition == acme
    contact = email.contact
    assert contact.partition == acme
    if expected["sender"]:
        assert contact.email == expected["sender"].lower()
        assert expected["sender"].lower() in email.sender
    else:
        assert contact.placeholder == Contact.Placeholder.UNKNOWN_SENDER
    if "subject" in expected:
        assert email.subject == expected["subject"]
    if "recipients" in expected:
        # The addresses among them, each once (Delivered-To repeats To).
        valid = [r for r in expected["recipients"] if re.fullmatch(r"[^@\s]+@\S+", r)]
        assert email.recipients == ", ".join(valid)
    for phrase in expected.get("body", []):
        assert phrase in email.body
    for junk in NOT_READABLE:
        assert junk not in email.body
        assert junk not in email.subject
    listed = expected.get("attachments", [])
    assert [(a["name"], a["type"], a["size"]) for a in email.attachments] == [
        (a["name"], a["type"], a["size"]) for a in listed
    ]
    for note in expected.get("notes", []):
        assert note in email.notes
    # The original is the file, byte for byte; each attachment downloads whole.
    assert email.source.raw() == (CORPUS / name).read_bytes()
    for index, attachment in enumerate(email.attachments):
        response = admin_client.get(
            f"/admin/contacts/email/{email.pk}/attachments/{index}/"
        )
        assert response.status_code == 200
        assert len(b"".join(response.streaming_content)) == attachment["size"]


def test_a_japanese_sender_becomes_a_contact_named_family_name_first(tenant, acme):
    receive(tenant, CORPUS / "shift-jis-cp932.eml")
    contact = Contact.objects.get(email="takahashi@example.co.jp")
    assert (contact.last_name, contact.first_name) == ("髙橋", "一郎")
    assert str(contact) == "髙橋 一郎"


@pytest.mark.skipif(
    not _cpython_email_corpus() and not os.environ.get("CI"),
    # On CI (pyenv's CPython, which ships its test package) it must run, not skip.
    reason="this Python has no test package (test/test_email/data/msg_*.txt)",
)
def test_cpythons_email_corpus_is_recorded_or_refused_for_a_stated_reason(
    tenant, acme, tmp_path
):
    # Named as .eml files, sent to a service named on the command line (their own
    # recipients are CPython's test addresses).
    factories.ServiceFactory(tenant=tenant, name="Corpus", client_partition=acme)
    files = []
    assert _cpython_email_corpus(), "this Python lacks test/test_email/data"
    for path in _cpython_email_corpus():
        files.append(shutil.copyfile(path, tmp_path / f"{path.stem}.eml"))

    out = StringIO()
    try:
        receive(tenant, *files, service="Corpus", out=out)
    except CommandError as exc:
        # Only the summary's refusal: the command ran to the end.
        assert "records rejected" in str(exc)
    output = out.getvalue()
    received = int(re.search(r"Received (\d+) records", output).group(1))
    assert received == len(files)
    for line in output.splitlines():
        if line.strip().startswith("rejected"):
            # file: reason, in words.
            assert re.match(r"\s+rejected \S+\.eml: \S.+", line), line
            assert "Traceback" not in line
    recorded = int(re.search(r"(\d+) recorded", output).group(1))
    assert recorded == Email.objects.count() > 0


def test_the_command_counts_the_emails_recorded_with_notes_and_lists_them_on_v2(
    tenant, acme
):
    quiet = receive(tenant, CORPUS / "bad-to-cc-date-long-subject.eml")
    assert "recorded with intake notes" in quiet
    assert "  noted " not in quiet
    Email.objects.all().delete()

    loud = receive(tenant, CORPUS / "bad-to-cc-date-long-subject.eml", verbosity=2)
    noted = [line for line in loud.splitlines() if line.startswith("  noted ")]
    assert any("The Date header" in line for line in noted), loud
    assert any("left out of the recipients: XX, sales@" in line for line in noted)
    assert any("The subject had" in line for line in noted)
    assert "recorded with intake notes (a header read as well as it could be" in loud
    assert "): 1" in loud
