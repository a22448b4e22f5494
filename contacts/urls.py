"""URLs of the agent desktop, under /agent/."""

from django.urls import path

from contacts import views

app_name = "agent"

urlpatterns = [
    path("", views.desktop, name="desktop"),
    path("contacts/new/", views.new_contact, name="new_contact"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path(
        "client-partitions.json",
        views.client_partitions_json,
        name="client_partitions_json",
    ),
]
