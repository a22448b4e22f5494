"""Issue 15's choice of API framework, measured: Django REST framework (with
drf-spectacular for the schema) against django-ninja, on ONE endpoint each, in one
run: the client-partitions list of one administrator (200 partitions, the same
queryset, the same six fields), through Django's test Client with the project's
whole middleware stack, session-authenticated as the same user.

    .venv/bin/python -m bench.api_frameworks [--requests 300] [--rounds 5]

Runs on a throw-away test database (SQLite in memory unless DATABASE_URL says
otherwise); prints the medians and the ratio. The numbers and the decision are in
bench/RESULTS.md ("issue 15: API framework") and docs/design.md.
"""

import argparse
import os
import statistics
import sys
import time
import types

# The six fields both endpoints serialise.
FIELDS = ["id", "name", "description", "enabled", "created_at", "updated_at"]


def build_urlconf():
    """One module holding both endpoints: /drf/client-partitions/ and
    /ninja/client-partitions/."""
    from django.urls import path
    from ninja import ModelSchema, NinjaAPI
    from ninja.security import django_auth
    from rest_framework import generics, serializers
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.renderers import JSONRenderer

    from partitions.models import ClientPartition

    def queryset(user):
        return ClientPartition.objects.visible_to(user).order_by("name_key", "pk")

    class PartitionSerializer(serializers.ModelSerializer):
        class Meta:
            model = ClientPartition
            fields = FIELDS

    class PartitionList(generics.ListAPIView):
        serializer_class = PartitionSerializer
        permission_classes = [IsAuthenticated]
        renderer_classes = [JSONRenderer]
        pagination_class = None

        def get_queryset(self):
            return queryset(self.request.user)

    class PartitionOut(ModelSchema):
        class Meta:
            model = ClientPartition
            fields = FIELDS

    api = NinjaAPI(urls_namespace="bench-ninja", docs_url=None)

    @api.get("/client-partitions/", response=list[PartitionOut], auth=django_auth)
    def partition_list(request):
        return list(queryset(request.user))

    module = types.ModuleType("bench_api_frameworks_urls")
    module.urlpatterns = [
        path("drf/client-partitions/", PartitionList.as_view()),
        path("ninja/", api.urls),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def main() -> None:
    """Measure both frameworks, interleaved, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccadmin.settings_test")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import (
        override_settings,
        setup_databases,
        setup_test_environment,
    )

    setup_test_environment()
    setup_databases(verbosity=0, interactive=False)
    from tests import factories

    tenant = factories.TenantFactory(name="Bench BPO", client_partition_limit=10_000)
    for i in range(args.rows):
        factories.ClientPartitionFactory(
            tenant=tenant, name=f"Client {i:03}", description=f"Notes {i}"
        )
    user = factories.administrator(tenant)
    client = Client()
    client.force_login(user)
    urlconf = build_urlconf()
    times = {"drf": [], "ninja": []}
    with override_settings(
        ROOT_URLCONF=urlconf, INSTALLED_APPS=[*settings.INSTALLED_APPS]
    ):
        bodies = {
            name: client.get(f"/{name}/client-partitions/").json() for name in times
        }
        assert len(bodies["drf"]) == len(bodies["ninja"]) == args.rows, bodies
        assert set(bodies["drf"][0]) == set(bodies["ninja"][0])
        for _ in range(args.rounds):
            for name in times:
                started = time.perf_counter()
                for _ in range(args.requests):
                    response = client.get(f"/{name}/client-partitions/")
                    assert response.status_code == 200
                times[name].append(
                    (time.perf_counter() - started) / args.requests * 1000
                )
    for name, values in times.items():
        print(
            f"{name:6} {statistics.median(values):6.2f} ms/request "
            f"({min(values):.2f}–{max(values):.2f}), {args.rows} rows, "
            f"{args.rounds} rounds × {args.requests} requests"
        )
    ratio = statistics.median(times["drf"]) / statistics.median(times["ninja"])
    print(f"drf/ninja time = {ratio:.2f}")


if __name__ == "__main__":
    main()
