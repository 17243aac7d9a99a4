"""The raters' pages of evaluation studies, under /evaluation/."""

from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.rater_studies, name="list"),
    path("<int:study_id>/", views.study_rate, name="rate"),
]
