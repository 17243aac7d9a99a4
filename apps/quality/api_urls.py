"""Quality control in the API, under /api/quality/."""

from django.urls import path  # noqa: F401

app_name = "quality_api"

urlpatterns: list = []
