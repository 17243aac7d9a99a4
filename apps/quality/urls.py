"""Staff pages of quality control, under /manage/."""

from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("batches/<int:batch_id>/quality/", views.batch_quality_page, name="batch"),
    path(
        "batches/<int:batch_id>/quality/flags/<int:flag_id>/lift/",
        views.batch_quality_flag_lift,
        name="flag-lift",
    ),
    path(
        "batches/<int:batch_id>/quality/pause/",
        views.batch_quality_annotator_pause,
        name="pause",
    ),
]
