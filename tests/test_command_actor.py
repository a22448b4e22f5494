"""The command line's actor (issue 11, item 8): `--user` must be a superuser or an
administrator of the tenant named, holding the admin's permission for the change;
and every project command's `--help` works (lazy translated help texts)."""

import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from ccadmin.models import AuditEntry
from contacts.models import Activity, Contact
from partitions.models import ClientPartition
from tests import factories
from tests.processes import run_manage

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = {"ccadmin", "partitions", "services", "contacts", "interactions", "demo"}


@pytest.fixture
def tenant(db):
    """The tenant the commands below name as `--tenant sakura`."""
    return factories.TenantFactory(name="Sakura BPO", slug="sakura")


@pytest.fixture
def acme(tenant):
    """The client the commands below name as "Acme", with its lines."""
    return factories.client_with_lines(tenant)


def _agent(tenant, other_tenant):
    return factories.agent(tenant)


def _other_administrator(tenant, other_tenant):
    return factories.administrator(other_tenant)


def _administrator(tenant, other_tenant):
    return factories.administrator(tenant)


def _superuser(tenant, other_tenant):
    return factories.superuser()


REFUSED = [_agent, _other_administrator]
ALLOWED = [_administrator, _superuser]


def _add(tenant, tmp_path, user):
    call_command(
        "partitions", "add", "--tenant", "sakura", "--name", "Hoshi", "--user", user,
        stdout=io.StringIO(),
    )  # fmt: skip


def _enable(tenant, tmp_path, user):
    call_command(
        "partitions", "enable", "Acme", "--tenant", "sakura", "--user", user,
        stdout=io.StringIO(),
    )  # fmt: skip


def _disable(tenant, tmp_path, user):
    call_command(
        "partitions", "disable", "Acme", "--tenant", "sakura", "--user", user,
        stdout=io.StringIO(),
    )  # fmt: skip


def _delete(tenant, tmp_path, user):
    call_command(
        "partitions", "delete", "Acme", "--tenant", "sakura", "--noinput",
        "--user", user, stdout=io.StringIO(),
    )  # fmt: skip


def _export(tenant, tmp_path, user):
    call_command(
        "partitions", "export", "Acme", "--tenant", "sakura", "-o",
        str(tmp_path / "acme.zip"), "--user", user, stdout=io.StringIO(),
    )  # fmt: skip


def _import(tenant, tmp_path, user):
    path = tmp_path / "contacts.csv"
    path.write_text("first name,last name\nAiko,Tanaka\n", encoding="utf-8")
    call_command(
        "import_contacts", str(path), "--tenant", "sakura", "--partition", "Acme",
        "--user", user, stdout=io.StringIO(),
    )  # fmt: skip


def _receive(tenant, tmp_path, user):
    # "Acme Line" is the acme fixture's phone line.
    path = tmp_path / "calls.jsonl"
    path.write_text(
        '{"service": "Acme Line", "channel": "voice", "from": "090-1111-2222"}\n',
        encoding="utf-8",
    )
    call_command(
        "receive_interactions", "--tenant", "sakura", "--user", user, str(path),
        stdout=io.StringIO(),
    )  # fmt: skip


def _state(tenant, tmp_path):
    """What the commands can change: the partitions, the contacts and activity
    history, the audit trail and the export file."""
    return (
        sorted(
            ClientPartition.objects.filter(tenant=tenant).values_list("name", "enabled")
        ),
        Contact.objects.count(),
        Activity.objects.count(),
        AuditEntry.objects.count(),
        (tmp_path / "acme.zip").exists(),
    )


COMMANDS = [_add, _enable, _disable, _delete, _export, _import, _receive]


def _given(make_user, command, tenant, other_tenant, acme):
    """The user to run `command` as; Acme disabled first when the command enables."""
    if command is _enable:
        ClientPartition.objects.filter(pk=acme.pk).update(enabled=False)
    return make_user(tenant, other_tenant)


@pytest.mark.parametrize("make_user", REFUSED, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda f: f.__name__[1:])
def test_a_user_the_admin_would_refuse_is_refused_and_nothing_changes(
    tenant, other_tenant, acme, tmp_path, command, make_user
):
    user = _given(make_user, command, tenant, other_tenant, acme)
    before = _state(tenant, tmp_path)

    # when / then
    with pytest.raises(CommandError, match=f'The user "{user.username}"'):
        command(tenant, tmp_path, user.username)
    assert _state(tenant, tmp_path) == before


@pytest.mark.parametrize("make_user", ALLOWED, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda f: f.__name__[1:])
def test_the_tenants_administrator_and_a_superuser_may_and_are_audited(
    tenant, other_tenant, acme, tmp_path, command, make_user
):
    user = _given(make_user, command, tenant, other_tenant, acme)
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()

    # when
    command(tenant, tmp_path, user.username)

    # then: the change was made, and written down as theirs
    entries = AuditEntry.objects.filter(pk__gt=last or 0)
    assert entries.exists()
    assert {entry.user_id for entry in entries} == {user.pk}


def test_an_administrator_without_the_permission_is_refused(tenant, acme):
    # given: staff of the tenant who may view client partitions but not delete them
    user = factories.administrator(tenant)
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(codename="view_clientpartition")
    )

    # when / then
    with pytest.raises(CommandError, match=r"partitions\.delete_clientpartition"):
        _delete(tenant, None, user.username)
    assert ClientPartition.objects.filter(pk=acme.pk).exists()


def test_an_inactive_superuser_is_refused(tenant, acme):
    user = factories.superuser(is_active=False)
    with pytest.raises(CommandError, match=f'The user "{user.username}" may not'):
        _disable(tenant, None, user.username)
    assert ClientPartition.objects.get(pk=acme.pk).enabled


def test_without_user_the_system_account_acts(tenant, acme, tmp_path):
    _export(tenant, tmp_path, "")
    with zipfile.ZipFile(tmp_path / "acme.zip") as archive:
        assert "manifest.json" in archive.namelist()


# ----- --help of every command -------------------------------------------------------


def _project_commands() -> list[str]:
    return sorted(
        name
        for name, app in get_commands().items()
        if app.split(".")[-1] in PROJECT_APPS
    )


def test_the_project_has_the_commands_this_checks():
    assert {
        "partitions",
        "import_contacts",
        "receive_interactions",
        "seed_demo",
    } <= set(_project_commands())


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("name", _project_commands())
def test_help_of_every_command_and_subcommand_formats(name, language):
    # Python 3.13's argparse refused Django's lazy strings: help crashed with
    # "expected string or bytes-like object, got '__proxy__'".
    from django.utils import translation

    command = load_command_class(get_commands()[name], name)
    with translation.override(language):
        parser = command.create_parser("manage.py", name)
        texts = [parser.format_help()]
        for action in parser._actions:
            if hasattr(action, "_choices_actions"):  # the subcommands' parsers
                texts += [sub.format_help() for sub in action.choices.values()]
    assert all(text.startswith("usage: manage.py") for text in texts)
    # partitions: itself and list, add, enable, disable, delete, export, offboard,
    # purge-due, certificate; data_subject: itself, export, erase; api_token:
    # itself, create, list, revoke.
    subcommands = {"partitions": 10, "data_subject": 3, "api_token": 4}
    assert len(texts) == subcommands.get(name, 1)


@pytest.mark.parametrize(
    "args",
    [
        ["partitions", "--help"],
        ["partitions", "delete", "--help"],
        ["help", "receive_interactions"],
        ["help", "seed_demo"],
        ["import_contacts", "--help"],
    ],
    ids=" ".join,
)
def test_help_in_a_real_process_exits_0(args, tmp_path):
    result = run_manage(
        *args,
        env={"DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        without=("SECRET_KEY",),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: manage.py")
    assert result.stderr == ""
