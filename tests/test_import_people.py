"""Import of people from CSV: `manage.py import_people` and the "Import people" page.

A good file adds everyone with their role and clients; bad rows are reported by line
with the reason (unknown role, unknown client, taken username, bad email, no
clients) and, as for contacts, the others are kept unless the import is all or
nothing. Adding is set-based: 200 people cost the queries of 20.
"""

import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from ccadmin.models import AuditEntry, Membership
from ccadmin.people_import import PeopleImportError, import_people
from ccadmin.roles import ADMINISTRATORS, AGENTS, CLIENT_SUPERVISORS
from tests import factories

IMPORT = reverse("admin:ccadmin_membership_import")

GOOD = """username,first name,last name,email,role,clients
kenji,Kenji,Sato,kenji@example.jp,agent,Acme Insurance
mika,Mika,Ito,mika@example.jp,Client supervisor,Acme Insurance; Initech
ren,Ren,Mori,,administrator,*
yui,Yui,Abe,yui@example.jp,Agents,acme insurance|INITECH
"""

BAD = """username,first name,last name,email,role,clients
kenji,Kenji,Sato,kenji@example.jp,agent,Acme Insurance
aiko,Aiko,Taken,,agent,*
bad,Bad,Role,,superuser,*
lost,Lost,Client,,agent,Contoso
mail,Bad,Mail,not-an-email,agent,*
none,No,Clients,,agent,
kenji,Kenji,Twice,,agent,*
"""


@pytest.fixture
def clients(tenant):
    return {
        "acme": factories.ClientPartitionFactory(tenant=tenant, name="Acme Insurance"),
        "initech": factories.ClientPartitionFactory(tenant=tenant, name="Initech"),
    }


def run(text: str, tenant, actor, **kwargs):
    return import_people(
        io.BytesIO(text.encode()), tenant=tenant, actor=actor, **kwargs
    )


def person(username):
    return Membership.objects.select_related("user").get(user__username=username)


def roles(username):
    return list(
        User.objects.get(username=username).groups.values_list("name", flat=True)
    )


def test_a_good_file_adds_everyone_with_role_and_clients(tenant, admin_user, clients):
    result = run(GOOD, tenant, admin_user)

    assert (result.rows, result.imported, result.refused) == (4, 4, 0)
    assert result.describe() == "Imported 4 people; 0 rows refused."
    kenji, mika, ren, yui = (person(n) for n in ("kenji", "mika", "ren", "yui"))
    assert roles("kenji") == [AGENTS] and not kenji.user.is_staff
    assert roles("mika") == [CLIENT_SUPERVISORS] and mika.user.is_staff
    assert roles("ren") == [ADMINISTRATORS] and ren.user.is_staff
    assert roles("yui") == [AGENTS]
    assert list(kenji.client_partitions.all()) == [clients["acme"]]
    assert set(mika.client_partitions.all()) == set(clients.values())
    assert set(yui.client_partitions.all()) == set(clients.values())
    assert ren.all_client_partitions and not ren.client_partitions.exists()
    for membership in (kenji, mika, ren, yui):
        assert membership.tenant == tenant
        assert not membership.user.has_usable_password()
        assert not membership.user.is_superuser
    # One entry per person, and one for the import, all in the tenant's trail.
    trail = AuditEntry.objects.visible_to(admin_user)
    assert trail.filter(object_id=str(kenji.pk), action_flag=1).exists()
    assert trail.filter(
        object_repr=tenant.name, change_message__contains="4 people"
    ).exists()


def test_bad_rows_are_reported_by_line_with_the_reason(
    tenant, admin_user, clients, agent
):
    result = run(BAD, tenant, admin_user)

    assert (result.rows, result.imported, result.refused) == (7, 1, 6)
    reasons = {error.line: error.reason for error in result.errors}
    assert reasons == {
        3: 'Username: The username "aiko" is taken.',
        4: 'Role: "superuser" is not a role (agent, client supervisor or '
        "administrator).",
        5: 'Clients: there is no client "Contoso".',
        6: "Email address: Enter a valid email address.",
        7: 'Clients: give the client names separated by ";" or "|", or * for every '
        "client.",
        8: 'Username: The username "kenji" is taken.',
    }
    assert User.objects.filter(username="kenji").count() == 1
    assert not User.objects.filter(
        username__in=["bad", "lost", "mail", "none"]
    ).exists()
    assert AuditEntry.objects.filter(
        change_message__contains="Refused lines: 3-8"
    ).exists()


def test_all_or_nothing_keeps_nothing_when_a_row_is_refused(
    tenant, admin_user, clients
):
    result = run(BAD, tenant, admin_user, atomic=True)
    assert result.imported == 0 and result.kept_nothing
    assert result.describe().startswith("Nothing imported (all or nothing)")
    assert not User.objects.filter(username="kenji").exists()


def test_another_tenants_client_is_unknown(tenant, other_tenant, admin_user):
    factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")
    result = run("username,role,clients\nkenji,agent,Contoso\n", tenant, admin_user)
    assert [e.reason for e in result.errors] == [
        'Clients: there is no client "Contoso".'
    ]


def test_without_a_clients_column_everyone_works_for_every_client(tenant, admin_user):
    run("username,role\nkenji,agent\n", tenant, admin_user)
    assert person("kenji").all_client_partitions


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("username,role,salary\n", "Unknown columns: salary."),
        ("username,first name\n", "Missing columns: role."),
        ("username,role,Role\n", "Columns given twice: role."),
        ("username,role\n\xff\n", "not UTF-8"),
    ],
    ids=["empty", "unknown-column", "missing-role", "twice", "not-utf8"],
)
def test_a_file_that_cannot_be_read_imports_nothing(tenant, admin_user, text, message):
    raw = text.encode("latin-1") if "\xff" in text else text.encode()
    with pytest.raises(PeopleImportError, match=message):
        import_people(io.BytesIO(raw), tenant=tenant, actor=admin_user)
    assert User.objects.count() == 1


def test_adding_is_set_based(tenant, admin_user, clients, django_assert_num_queries):
    def file(n, start):
        rows = [f"p{i},agent,Acme Insurance;Initech" for i in range(start, start + n)]
        return "username,role,clients\n" + "\n".join(rows) + "\n"

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as twenty:
        assert run(file(20, 0), tenant, admin_user).imported == 20
    with django_assert_num_queries(len(twenty.captured_queries)):
        assert run(file(200, 100), tenant, admin_user).imported == 200
    assert Membership.objects.filter(tenant=tenant).count() == 221


def test_an_administrator_cannot_import_into_another_tenant(
    tenant, other_tenant, admin_user
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run("username,role\nkenji,administrator\n", other_tenant, admin_user)
    assert not User.objects.filter(username="kenji").exists()


# ----- the command --------------------------------------------------------------------


def test_command_imports_a_file(tmp_path, tenant, admin_user, clients):
    path = tmp_path / "team.csv"
    path.write_text(GOOD)
    out = io.StringIO()
    call_command(
        "import_people",
        str(path),
        tenant=tenant.slug,
        user=admin_user.username,
        stdout=out,
    )
    assert "Imported 4 people" in out.getvalue()
    assert Membership.objects.filter(tenant=tenant).count() == 5


def test_command_reports_bad_rows_and_fails(
    tmp_path, tenant, admin_user, clients, agent
):
    path = tmp_path / "team.csv"
    path.write_text(BAD)
    err = io.StringIO()
    with pytest.raises(CommandError, match="6 rows refused"):
        call_command(
            "import_people",
            str(path),
            tenant=tenant.slug,
            user=admin_user.username,
            stderr=err,
        )
    assert 'line 4: Role: "superuser" is not a role' in err.getvalue()


@pytest.mark.parametrize("who", ["agent", "other-admin", "unknown"])
def test_command_refuses_who_may_not_import(tmp_path, tenant, other_tenant, agent, who):
    path = tmp_path / "team.csv"
    path.write_text(GOOD)
    username = {
        "agent": agent.username,
        "other-admin": factories.administrator(other_tenant).username,
        "unknown": "nobody",
    }[who]
    with pytest.raises(CommandError):
        call_command("import_people", str(path), tenant=tenant.slug, user=username)
    assert not User.objects.filter(username="kenji").exists()


# ----- the page -----------------------------------------------------------------------


def test_the_people_list_links_to_the_import(admin_client):
    response = admin_client.get(reverse("admin:ccadmin_membership_changelist"))
    assert IMPORT in response.text
    assert "Import people" in response.text


def test_the_page_imports_and_shows_each_set_password_link_once(
    admin_client, tenant, clients
):
    upload = SimpleUploadedFile("team.csv", GOOD.encode(), content_type="text/csv")
    response = admin_client.post(IMPORT, {"file": upload})
    assert response.status_code == 200
    assert "Imported 4 people; 0 rows refused." in response.text
    assert response.text.count("http://testserver/accounts/reset/") == 4
    assert Membership.objects.filter(tenant=tenant).count() == 5
    # Not on the next page: they were shown once.
    assert "/accounts/reset/" not in admin_client.get(IMPORT).text


def test_the_page_lists_refused_rows(admin_client, tenant, clients, agent):
    upload = SimpleUploadedFile("team.csv", BAD.encode(), content_type="text/csv")
    response = admin_client.post(IMPORT, {"file": upload, "atomic": "on"})
    assert response.status_code == 200
    assert "Nothing was imported. These rows were refused:" in response.text
    assert "line 5: Clients: there is no client" in response.text
    assert not User.objects.filter(username="kenji").exists()


def test_the_page_says_why_a_file_cannot_be_read(admin_client):
    upload = SimpleUploadedFile("team.csv", b"name,salary\n", content_type="text/csv")
    response = admin_client.post(IMPORT, {"file": upload})
    assert response.status_code == 200
    assert "Unknown columns" in response.text


def test_an_administrator_of_some_clients_imports_people_of_those_only(tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ClientPartitionFactory(tenant=tenant, name="Secret")
    partial = factories._member(
        factories.UserFactory(is_staff=True), tenant, ADMINISTRATORS, [acme]
    )
    csv_text = (
        "username,role,clients\n"
        "every,agent,*\n"
        "hidden,agent,Secret\n"
        "nowhere,agent,Nope\n"
        "good,agent,Acme\n"
    )
    result = import_people(io.BytesIO(csv_text.encode()), tenant=tenant, actor=partial)

    reasons = {error.line: error.reason for error in result.errors}
    assert reasons[2].startswith("Clients: You work for some clients only")
    # A client the administrator does not work for reads as one that does not exist.
    assert reasons[3] == 'Clients: there is no client "Secret".'
    assert reasons[4] == 'Clients: there is no client "Nope".'
    assert [m.user.username for m in result.added] == ["good"]


def test_an_administrator_of_some_clients_cannot_import_without_a_clients_column(
    tenant,
):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    partial = factories._member(
        factories.UserFactory(is_staff=True), tenant, ADMINISTRATORS, [acme]
    )
    result = import_people(
        io.BytesIO(b"username,role\nsomeone,agent\n"), tenant=tenant, actor=partial
    )
    assert result.imported == 0
    assert "You work for some clients only" in result.errors[0].reason
