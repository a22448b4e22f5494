"""schemathesis against the API's own schema (issue 15), in-process through the
WSGI application: every operation, a bounded number of generated requests each, on
a seeded database, checked for `not_a_server_error` and
`response_schema_conformance` (every answer, errors included, is one the schema
documents, in the shape it documents)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ccadmin.wsgi import application
from tests import factories
from tests.api_helpers import bearer

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)

# Enough to reach every status an operation answers, few enough for the whole
# file to run in well under a minute on the 2-core CI machine.
EXAMPLES = 10


@pytest.fixture
def in_test_transaction():
    """Called straight through WSGI, Django would close the database connection at
    the end of each request (close_old_connections: the test's transaction is not
    autocommit), and with it the test's transaction on PostgreSQL. Django's test
    client unhooks the same signal handler for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, in_test_transaction):
    """A contact center with clients, their records and services, and the
    credentials of one of its administrators (as request headers)."""
    tenant = factories.TenantFactory(name="Sakura BPO", client_partition_limit=6)
    for name in ["Acme", "Globex"]:
        partition = factories.client_with_data(tenant, name, contacts=2)
        factories.ServiceFactory(
            tenant=tenant, name=f"{name} Line", client_partition=partition
        )
    # Another contact center's rows: every answer about them must be a 404.
    factories.client_with_data(factories.TenantFactory(name="Northwind"), "Initech")
    return credentials(factories.administrator(tenant))


def credentials(user) -> dict[str, str]:
    """Headers that authenticate as `user`: a personal API token."""
    return bearer(user)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_as_documented(case, seeded):
    response = case.call(headers=seeded)
    case.validate_response(
        response, checks=[not_a_server_error, response_schema_conformance]
    )
