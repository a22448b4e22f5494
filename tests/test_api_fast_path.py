"""The API list's fast path (issue 15, the `make bench` row): a token request to
`/api/v1/client-partitions/` costs two queries (the token with its person, and the
page), and nothing it saves makes a change take effect later: a revoked token, a
role taken away, a role's permission removed, a group deleted are all refused at
the very next request; the page is the serializer's own output."""

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


def test_a_token_request_to_the_list_costs_two_queries(client, script):
    # given: the first request reads the permissions and notes the token's use
    assert get_list(client, script).status_code == 200
    # when
    with CaptureQueriesContext(connection) as queries:
        response = get_list(client, script)
    # then: the token with its person, membership and tenant; the page
    assert response.status_code == 200
    assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]
    assert len(response.json()["results"]) == 3


def test_the_page_is_the_serializers_own_output(client, script, tenant):
    response = get_list(client, script)
    expected = ClientPartitionSerializer(
        ClientPartition.objects.filter(tenant=tenant).order_by("pk"), many=True
    ).data
    assert response.json()["results"] == [dict(row) for row in expected]


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
