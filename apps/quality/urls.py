"""Staff pages of quality control, under /manage/."""

from django.urls import path  # noqa: F401  (helpers add the pages here)

app_name = "quality"

urlpatterns: list = []
