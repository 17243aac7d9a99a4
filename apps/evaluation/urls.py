"""Staff pages of evaluation studies, under /manage/."""

from django.urls import path

from . import views

app_name = "evaluation_manage"

urlpatterns = [
    path("evaluation/", views.study_list, name="list"),
    path("evaluation/<int:study_id>/", views.study_detail, name="detail"),
    path("evaluation/<int:study_id>/status/", views.study_status, name="status"),
]
