"""URLs of the gateway API, under /api/."""

from django.urls import path

from interactions import views

app_name = "api"

urlpatterns = [
    path("interactions/", views.receive_interaction, name="interactions"),
]
