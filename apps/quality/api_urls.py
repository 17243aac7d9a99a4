"""Quality control in the API, under /api/quality/."""

from django.urls import path

from . import api_views

app_name = "quality_api"

urlpatterns = [
    path("batches/<int:batch_id>/", api_views.BatchQualityApi.as_view(), name="batch"),
]
