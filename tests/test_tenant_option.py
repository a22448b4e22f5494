"""Every command's `--tenant` is read by one rule: ccadmin.cli.tenant_from_option.

By slug, or by name ignoring case (non-ASCII letters too, on SQLite as on
PostgreSQL), with the same one-line error when it names no tenant.
"""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories

# Each command with a --tenant option, with arguments that get it past the lookup
# (a missing file stops it right after, without writing anything).
COMMANDS = {
    "partitions list": ["partitions", "list"],
    "import_contacts": ["import_contacts", "missing.csv"],
    "receive_interactions": ["receive_interactions", "missing.jsonl"],
    "seed_demo": ["seed_demo", "--contacts", "0"],
}


@pytest.fixture
def societe(db):
    return factories.TenantFactory(name="SOCIÉTÉ Générale BPO", slug="societe")


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_tenant_is_the_same_one_line_error_everywhere(societe, command):
    args = [*COMMANDS[command], "--tenant", "nowhere"]
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    message = str(refused.value)
    assert message.startswith('Unknown tenant "nowhere" (known tenants: ')
    assert "societe" in message
    assert "\n" not in message


@pytest.mark.parametrize("value", ["societe", "société générale bpo"])
def test_receive_interactions_finds_the_tenant_by_slug_or_folded_name(societe, value):
    # Past the lookup: the next check is the file's existence.
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "receive_interactions", "--tenant", value, "missing.jsonl",
            stdout=io.StringIO(),
        )  # fmt: skip


def test_seed_demo_finds_the_tenant_by_name_ignoring_case(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command(
        "seed_demo", "--contacts", "0", "--tenant", "NORTHWIND contact center",
        "--partition", "Contoso Retail", stdout=out,
    )  # fmt: skip
    assert '"Contoso Retail" holds' in out.getvalue()
