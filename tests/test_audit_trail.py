"""Audit: every create, change, enable, disable, delete and export of a client
partition, from the admin or the command line, leaves an entry (who, when, what,
counts for a delete) that survives the partition's deletion and is readable in the
admin's Audit trail by the tenant's administrators only."""

from io import StringIO

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ccadmin.audit import EXPORT
from ccadmin.cli import SYSTEM_USERNAME
from ccadmin.models import AuditScope
from partitions.models import ClientPartition
from tests import factories

TRAIL = reverse("admin:ccadmin_auditentry_changelist")


def command(*args: str) -> None:
    call_command("partitions", *args, stdout=StringIO(), stderr=StringIO())


def admin_post(client: Client, url: str, data: dict) -> None:
    response = client.post(url, data)
    assert response.status_code in (200, 302)


def do_create(path, client, tenant, partition_name):
    if path == "admin":
        admin_post(
            client,
            reverse("admin:partitions_clientpartition_add"),
            {"name": partition_name, "enabled": "on"},
        )
    else:
        command("add", "--tenant", tenant.slug, "--name", partition_name)


def do_toggle(verb):
    def run(path, client, tenant, partition_name):
        partition = ClientPartition.objects.get(tenant=tenant, name=partition_name)
        if verb == "enable":
            ClientPartition.objects.filter(pk=partition.pk).update(enabled=False)
        if path == "admin":
            admin_post(
                client,
                reverse("admin:partitions_clientpartition_changelist"),
                {"action": f"{verb}_partitions", "_selected_action": [partition.pk]},
            )
        else:
            command(verb, partition_name, "--tenant", tenant.slug)

    return run


def do_change(path, client, tenant, partition_name):
    partition = ClientPartition.objects.get(tenant=tenant, name=partition_name)
    admin_post(
        client,
        reverse("admin:partitions_clientpartition_change", args=[partition.pk]),
        {"name": partition_name, "description": "New notes", "enabled": "on"},
    )


def do_delete(path, client, tenant, partition_name):
    partition = ClientPartition.objects.get(tenant=tenant, name=partition_name)
    if path == "admin":
        admin_post(
            client,
            reverse("admin:partitions_clientpartition_delete", args=[partition.pk]),
            {"post": "yes"},
        )
    else:
        command("delete", partition_name, "--tenant", tenant.slug, "--noinput")


def do_export(path, client, tenant, partition_name, tmp_path=None):
    partition = ClientPartition.objects.get(tenant=tenant, name=partition_name)
    if path == "admin":
        response = client.post(
            reverse("admin:partitions_clientpartition_export", args=[partition.pk])
        )
        assert response.status_code == 200
        b"".join(response.streaming_content)
    else:
        command("export", partition_name, "--tenant", tenant.slug, "--output", tmp_path)


# (operation, path, how, action flag, words the entry holds)
OPERATIONS = [
    ("create", "admin", do_create, ADDITION, "Added."),
    ("create", "command", do_create, ADDITION, "Added."),
    ("change", "admin", do_change, CHANGE, "Changed Description."),
    ("enable", "admin", do_toggle("enable"), CHANGE, "Changed Enabled."),
    ("enable", "command", do_toggle("enable"), CHANGE, "Changed Enabled."),
    ("disable", "admin", do_toggle("disable"), CHANGE, "Changed Enabled."),
    ("disable", "command", do_toggle("disable"), CHANGE, "Changed Enabled."),
    ("delete", "admin", do_delete, DELETION, "2 contacts, 2 companies, 2 emails"),
    ("delete", "command", do_delete, DELETION, "2 contacts, 2 companies, 2 emails"),
    ("export", "admin", do_export, EXPORT, "Exported the client's data: 2 contacts"),
    ("export", "command", do_export, EXPORT, "Exported the client's data: 2 contacts"),
]


@pytest.mark.parametrize(
    ("operation", "path", "how", "flag", "words"),
    OPERATIONS,
    ids=[f"{o}-{p}" for o, p, *_ in OPERATIONS],
)
def test_every_operation_from_every_path_is_audited_and_survives_the_delete(
    tenant, admin_user, admin_client, other_tenant, tmp_path,
    operation, path, how, flag, words,
):  # fmt: skip
    name = "Acme"
    if operation != "create":
        factories.client_with_data(tenant, name, contacts=2)
    started = timezone.now()
    kwargs = {"tmp_path": tmp_path / "acme.zip"} if operation == "export" else {}

    how(path, admin_client, tenant, name, **kwargs)

    entry = LogEntry.objects.filter(action_flag=flag, object_repr=name).latest("pk")
    who = admin_user.username if path == "admin" else SYSTEM_USERNAME
    assert entry.user.username == who
    assert entry.action_time >= started
    assert words in entry.get_change_message(), entry.get_change_message()
    assert AuditScope.objects.get(entry=entry).tenant == tenant

    # The partition goes (if it has not already): the entry stays, in its trail.
    partition = ClientPartition.objects.filter(tenant=tenant, name=name).first()
    if partition is not None:
        call_command(
            "partitions", "delete", name, "--tenant", tenant.slug, "--noinput",
            stdout=StringIO(),
        )  # fmt: skip
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    trail = admin_client.get(TRAIL)
    assert entry.pk in {e.pk for e in trail.context["cl"].result_list}
    detail = admin_client.get(
        reverse("admin:ccadmin_auditentry_change", args=[entry.pk])
    )
    assert detail.status_code == 200
    assert words in detail.text.replace("&#x27;", "'")

    # Not readable by another tenant's administrators.
    stranger = Client()
    stranger.force_login(factories.administrator(other_tenant))
    assert entry.pk not in {e.pk for e in stranger.get(TRAIL).context["cl"].result_list}
    response = stranger.get(
        reverse("admin:ccadmin_auditentry_change", args=[entry.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert words not in response.text


def test_audit_trail_is_read_only(admin_client, admin_user, tenant):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    call_command(
        "partitions", "disable", "Acme", "--tenant", tenant.slug, stdout=StringIO()
    )
    entry = LogEntry.objects.latest("pk")
    assert admin_client.get(reverse("admin:ccadmin_auditentry_add")).status_code == 403
    url = reverse("admin:ccadmin_auditentry_delete", args=[entry.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    change = reverse("admin:ccadmin_auditentry_change", args=[entry.pk])
    admin_client.post(change, {"change_message": "Nothing happened"})
    assert LogEntry.objects.get(pk=entry.pk).change_message == entry.change_message


def test_agents_and_staff_without_the_permission_cannot_read_the_trail(tenant):
    agent = Client()
    agent.force_login(factories.agent(tenant))
    assert agent.get(TRAIL).status_code == 302  # to the admin's login: not staff
    staff = factories.administrator(tenant)
    staff.groups.clear()
    client = Client()
    client.force_login(staff)
    assert client.get(TRAIL).status_code == 403


def test_service_provider_reads_every_tenants_trail(
    provider_client, tenant, other_tenant
):
    for t in (tenant, other_tenant):
        factories.ClientPartitionFactory(tenant=t, name=f"Client of {t.slug}")
        call_command(
            "partitions", "disable", f"Client of {t.slug}", "--tenant", t.slug,
            stdout=StringIO(),
        )  # fmt: skip
    shown = provider_client.get(TRAIL).context["cl"].result_list
    assert {e.object_repr for e in shown} >= {
        f"Client of {tenant.slug}",
        f"Client of {other_tenant.slug}",
    }


def test_admin_edits_of_other_models_are_scoped_to_the_tenant(admin_client, tenant):
    """The stock admin entries (a service added, a contact deleted) go through
    ccadmin.audit too, so they are in the tenant's trail."""
    admin_client.post(
        reverse("admin:services_service_add"),
        {"name": "Claims Line", "type": "inbound_voice"},
    )
    entry = LogEntry.objects.get(object_repr="Claims Line", action_flag=ADDITION)
    assert AuditScope.objects.get(entry=entry).tenant == tenant


def test_a_changed_time_reads_in_the_readers_zone_by_the_fields_name(tenant):
    """A revoked token's entry: "Revoked: null → <Tokyo time> Asia/Tokyo (JST)",
    not the stored UTC ISO string under the raw field name."""
    import zoneinfo

    from django.utils import translation
    from django.utils.formats import date_format

    from ccadmin import actions, audit
    from ccadmin.models import AuditEntry

    administrator = factories.administrator(tenant)
    token, _key = factories.api_token(administrator)
    actions.revoke_api_tokens([token], actor=administrator)
    token.refresh_from_db()
    entry = AuditEntry.objects.get(object_id=str(token.pk), action_flag=CHANGE)
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    with timezone.override(tokyo), translation.override("en"):
        text = audit.describe(entry)
        page = audit.lines(entry)
    assert "revoked_at" not in text and 'Z"' not in text
    local = token.revoked_at.astimezone(tokyo)
    # Tokyo's date and hour as Django writes them in English ("Dec. 2, 2026, 2:18
    # a.m.", and "3 a.m." on the hour: a time pattern of our own would be flaky).
    with translation.override("en"):
        when = date_format(local, "DATETIME_FORMAT")
    line = page[1]
    assert line.startswith("Revoked: null → ") and line.endswith(" Asia/Tokyo (JST)")
    assert when in line and text.endswith(line)
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert audit.describe(entry).endswith(" UTC")
