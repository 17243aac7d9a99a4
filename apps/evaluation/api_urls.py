"""Evaluation studies in the API, under /api/evaluation/."""

from django.urls import path

from . import api_views

app_name = "evaluation_api"

urlpatterns = [
    path("studies/<int:study_id>/", api_views.StudyResultsApi.as_view(), name="study"),
    path(
        "studies/<int:study_id>/ratings.jsonl",
        api_views.StudyRatingsJsonlApi.as_view(),
        name="ratings-jsonl",
    ),
    path(
        "studies/<int:study_id>/ratings.parquet",
        api_views.StudyRatingsParquetApi.as_view(),
        name="ratings-parquet",
    ),
]
