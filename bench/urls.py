"""URLs for the benchmarks: the project's, plus a stock Django admin as the anchor."""

from django.contrib import admin
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ccadmin.urls import urlpatterns as project_urlpatterns
from contacts.models import Activity, Contact
from partitions.models import ClientPartition


class StockAdminSite(admin.AdminSite):
    """Django's admin with default ModelAdmins: what the lists cost unoptimised."""


class StockModelAdmin(admin.ModelAdmin):
    """Django's defaults, with Django's own list template (not the project's)."""

    change_list_template = "admin/change_list.html"


stock_site = StockAdminSite(name="stock")
stock_site.register(ClientPartition, StockModelAdmin)
stock_site.register(Contact, StockModelAdmin)


def constant(request):
    """The anchor of the agent JSON benchmark: no query, no session, a fixed body."""
    return HttpResponse(b'{"client_partitions": []}', content_type="application/json")


@csrf_exempt
def insert_activity(request, tenant_id: int, partition_id: int):
    """The anchor of the routing benchmarks: one Activity.objects.create per POST, no
    token, no validation, no lookup (the issue's "one-row insert view")."""
    activity = Activity.objects.create(
        tenant_id=tenant_id,
        partition_id=partition_id,
        channel="voice",
        direction="inbound",
        occurred_at=timezone.now(),
        summary="anchor",
    )
    return JsonResponse({"activity_id": activity.pk}, status=201)


urlpatterns = [
    *project_urlpatterns,
    path("stock-admin/", stock_site.urls),
    path("bench/constant/", constant),
    path("bench/insert/<int:tenant_id>/<int:partition_id>/", insert_activity),
]
