"""Fixtures shared by the whole suite."""

import pytest
from django.db import connection
from django.test import Client

from tests import factories


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` need row locks and real concurrency: on SQLite they
    skip, saying why (CI runs the suite on PostgreSQL too, where they run)."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...); CI runs it there"
    )
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: test databases reuse primary keys."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def tenant(db):
    return factories.TenantFactory(name="Sakura BPO")


@pytest.fixture
def other_tenant(db):
    return factories.TenantFactory(name="Northwind")


@pytest.fixture
def key(tenant) -> str:
    """The key of a gateway token of `tenant`: what a PBX or mail gateway sends."""
    return factories.gateway_token(tenant)[1]


@pytest.fixture
def admin_user(tenant):
    return factories.administrator(tenant)


@pytest.fixture
def admin_client(admin_user) -> Client:
    """A browser signed in as an administrator of `tenant`."""
    return factories.signed_in(admin_user)


@pytest.fixture
def agent(tenant):
    """An agent of `tenant` (no admin access), who can sign in with password "pw"."""
    return factories.agent(tenant, username="aiko")


@pytest.fixture
def agent_client(agent) -> Client:
    """A browser signed in as an agent of `tenant`."""
    return factories.signed_in(agent)


@pytest.fixture
def provider(db):
    return factories.superuser()


@pytest.fixture
def provider_client(provider) -> Client:
    """A browser signed in as the service provider (superuser)."""
    return factories.signed_in(provider)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request with Accept-Language: ja leaves Japanese active in the test's thread
    (LocaleMiddleware activates a language and never deactivates it): reset it, so
    messages built outside a request are English in the next test."""
    from django.utils import translation

    yield
    translation.activate("en")
