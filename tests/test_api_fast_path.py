"""The API list's fast path (issue 15, the `make bench` row): a token request to
`/api/v1/client-partitions/` costs one query (the token with its person) once the
permissions and the tenant's whole list are cached, and nothing it saves makes a
change take effect later: a revoked token, a role taken away, a role's permission
removed, a group deleted are all refused at the very next request, and every change
of a partition (whatever path) shows in the next answer; members of chosen clients
and the service provider are never served a tenant's whole list; the page is the
serializer's own output."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.partition_serializers import ClientPartitionSerializer
from ccadmin import actions
from ccadmin.models import Membership
from ccadmin.roles import ADMINISTRATORS, AGENTS
from partitions.models import ClientPartition
from tests import factories
from tests.api_helpers import API

LIST = f"{API}/client-partitions/"


@pytest.fixture
def script(tenant, admin_user):
    """A script holding a personal API token of the tenant's administrator, with a
    second administrator beside (so the first may lose their role)."""
    factories.administrator(tenant)
    for number in range(3):
        factories.ClientPartitionFactory(tenant=tenant, name=f"Client {number}")
    token, key = factories.api_token(admin_user)
    return {"token": token, "headers": {"Authorization": f"Bearer {key}"}}


def get_list(client, script):
    return client.get(LIST, headers=script["headers"])


def preview(client, headers, tenant):
    """The deletion preview of the tenant's first client: administrators only (it
    needs the delete permission; agents may view client partitions)."""
    partition = ClientPartition.objects.filter(tenant=tenant).order_by("pk")[0]
    return client.get(f"{LIST}{partition.pk}/deletion-preview/", headers=headers)


def test_a_token_request_to_the_list_costs_one_query(client, script):
    # given: the first request reads the permissions and the page, and notes the
    # token's use
    with CaptureQueriesContext(connection) as first:
        assert get_list(client, script).status_code == 200
    assert len(first) == 5, [q["sql"] for q in first.captured_queries]
    # when
    with CaptureQueriesContext(connection) as queries:
        response = get_list(client, script)
    # then: the token with its person, membership and tenant; nothing else
    assert response.status_code == 200
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]
    assert len(response.json()["results"]) == 3


def test_a_filtered_or_paged_request_reads_the_page(client, script):
    get_list(client, script)
    for query in ("?limit=2", "?enabled=true", "?search=Client"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST + query, headers=script["headers"])
        assert response.status_code == 200
        assert len(queries) == 2, query


def representation(rows):
    return [dict(row) for row in ClientPartitionSerializer(rows, many=True).data]


def every_partition(tenant):
    return ClientPartition.objects.filter(tenant=tenant).order_by("pk")


def test_every_change_of_a_partition_shows_at_the_next_request(
    client, script, tenant, admin_user
):
    from partitions import actions as partition_actions
    from partitions.offboarding import cancel_offboarding, offboard_client_partition

    def answer():
        response = get_list(client, script)
        assert response.status_code == 200
        body = response.json()
        assert body["next"] is None and body["previous"] is None
        return body["results"]

    def rename(partition, name):
        partition.name = name
        partition_actions.update_client_partition(
            partition, actor=admin_user, changed=["name"]
        )

    assert answer() == representation(every_partition(tenant))
    first = every_partition(tenant)[0]
    changes = [
        lambda: partition_actions.create_client_partition(
            ClientPartition(tenant=tenant, name="Newcomer"), actor=admin_user
        ),
        lambda: partition_actions.set_client_partitions_enabled(
            every_partition(tenant).filter(pk=first.pk), enabled=False, actor=None
        ),
        # offboarding a client already disabled: two update()s, no signal
        lambda: offboard_client_partition(first, actor=admin_user),
        lambda: cancel_offboarding(first, actor=admin_user),
        lambda: rename(every_partition(tenant)[1], "Renamed"),
        lambda: partition_actions.delete_or_schedule_client_partition(
            every_partition(tenant).last(), actor=admin_user
        ),
    ]
    for change in changes:
        before = answer()
        change()
        after = answer()
        assert after != before
        assert after == representation(every_partition(tenant))


def test_more_than_a_page_is_read_from_the_database_with_its_next_link(
    client, script, tenant
):
    for number in range(3, 52):
        factories.ClientPartitionFactory(tenant=tenant, name=f"Client {number}")
    for _ in range(2):
        body = get_list(client, script).json()
        assert len(body["results"]) == 50 and body["next"]


def test_a_member_of_chosen_clients_sees_only_theirs(client, script, tenant):
    assert len(get_list(client, script).json()["results"]) == 3
    mine = every_partition(tenant)[1]
    supervisor = factories.client_supervisor(tenant, clients=[mine])
    _token, key = factories.api_token(supervisor)
    response = client.get(LIST, headers={"Authorization": f"Bearer {key}"})
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_the_service_provider_sees_every_tenants(client, script, other_tenant):
    assert len(get_list(client, script).json()["results"]) == 3
    factories.ClientPartitionFactory(tenant=other_tenant, name="Elsewhere")
    _token, key = factories.api_token(factories.superuser())
    response = client.get(LIST, headers={"Authorization": f"Bearer {key}"})
    assert len(response.json()["results"]) == 4


def test_the_page_is_the_serializers_own_output(client, script, tenant):
    for _ in range(2):  # read, then from the cache
        response = get_list(client, script)
        assert response.json()["results"] == representation(every_partition(tenant))


def test_a_revoked_token_is_refused_at_the_next_request(client, script):
    assert get_list(client, script).status_code == 200
    actions.revoke_api_tokens([script["token"]], actor=None)
    assert get_list(client, script).status_code == 401


def test_a_role_taken_away_is_refused_at_the_next_request(
    client, script, admin_user, tenant
):
    assert preview(client, script["headers"], tenant).status_code == 200
    # when: the administrator is made an agent (who may not delete clients)
    actions.set_person_role(admin_user.membership, AGENTS, actor=None)
    # then
    assert preview(client, script["headers"], tenant).status_code == 403
    # and given back, at once again
    actions.set_person_role(
        Membership.objects.get(user=admin_user), ADMINISTRATORS, actor=None
    )
    assert preview(client, script["headers"], tenant).status_code == 200


def test_a_permission_removed_from_the_role_is_refused_at_the_next_request(
    client, script
):
    assert get_list(client, script).status_code == 200
    group = Group.objects.get(name=ADMINISTRATORS)
    view = Permission.objects.get(
        content_type__app_label="partitions", codename="view_clientpartition"
    )
    # when
    group.permissions.remove(view)
    # then
    assert get_list(client, script).status_code == 403
    # and a permission given to the person alone counts at once too
    script["token"].user.user_permissions.add(view)
    assert get_list(client, script).status_code == 200


def test_leaving_every_group_or_the_group_deleted_is_refused_at_the_next_request(
    client, script, admin_user
):
    assert get_list(client, script).status_code == 200
    admin_user.groups.clear()
    assert get_list(client, script).status_code == 403
    # the role given back from the group's side
    group = Group.objects.get(name=ADMINISTRATORS)
    group.user_set.add(admin_user)
    assert get_list(client, script).status_code == 200
    # when: the group itself is deleted (its rows go with no m2m signal)
    group.delete()
    assert get_list(client, script).status_code == 403


def test_another_person_never_gets_someone_elses_cached_permissions(
    client, script, tenant
):
    assert preview(client, script["headers"], tenant).status_code == 200
    agent = factories.agent(tenant)
    _token, key = factories.api_token(agent)
    headers = {"Authorization": f"Bearer {key}"}
    assert preview(client, headers, tenant).status_code == 403


def test_the_token_lookup_built_once_is_usable_exactly(db):
    """The lookup of authenticate_bearer (built once per process) asks the database
    exactly what ApiToken.objects.usable() asks: a rule added to usable() and not to
    the lookup fails here."""
    from django.utils import timezone

    from ccadmin import api_tokens
    from ccadmin.models import ApiToken

    now = timezone.now()
    fast = api_tokens._tokens_in_good_standing().unexpired(now).filter(key_hash="h")
    rule = (
        ApiToken.objects.usable(now)
        .select_related("user__membership__tenant")
        .order_by()
        .filter(key_hash="h")
    )
    assert str(fast[:1].query) == str(rule[:1].query)
