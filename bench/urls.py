"""URLs for the benchmarks: the project's, plus a stock Django admin as the anchor."""

from django.contrib import admin
from django.http import HttpResponse
from django.urls import path

from ccadmin.urls import urlpatterns as project_urlpatterns
from contacts.models import Contact
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


urlpatterns = [
    *project_urlpatterns,
    path("stock-admin/", stock_site.urls),
    path("bench/constant/", constant),
]
