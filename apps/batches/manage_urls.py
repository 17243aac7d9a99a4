from django.urls import path  # noqa: F401

app_name = "batch_manage"
urlpatterns = []
