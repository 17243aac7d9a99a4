from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

app_name = "exports"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script from a URL: no inline <script> under the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="exports:schema"), name="docs"),
    path("batches/", views.BatchListApi.as_view(), name="batch-list"),
    path("batches/<int:batch_id>/", views.BatchDetailApi.as_view(), name="batch-detail"),
    path("comparisons/", views.ComparisonListApi.as_view(), name="comparison-list"),
    path("exports/stream/", views.ExportStreamApi.as_view(), name="stream"),
    path("exports/card/", views.ExportCardApi.as_view(), name="card"),
    path("exports/jobs/", views.ExportJobListApi.as_view(), name="job-list"),
    path("exports/jobs/<int:job_id>/", views.ExportJobDetailApi.as_view(), name="job-detail"),
    path(
        "exports/jobs/<int:job_id>/download/",
        views.ExportJobDownloadApi.as_view(),
        name="job-download",
    ),
]
