"""URLs for the benchmarks: the project's, plus a stock Django admin as the anchor."""

from django.contrib import admin
from django.urls import path

from ccadmin.urls import urlpatterns as project_urlpatterns
from contacts.models import Contact
from partitions.models import ClientPartition


class StockAdminSite(admin.AdminSite):
    """Django's admin with default ModelAdmins: what the lists cost unoptimised."""


stock_site = StockAdminSite(name="stock")
stock_site.register(ClientPartition)
stock_site.register(Contact)

urlpatterns = [*project_urlpatterns, path("stock-admin/", stock_site.urls)]
