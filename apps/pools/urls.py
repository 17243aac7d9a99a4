from django.urls import path

from . import views

app_name = "pools"
urlpatterns = [
    path("batches/<int:batch_id>/pool/", views.pool_upload, name="upload"),
    path("batches/<int:batch_id>/pool/progress/", views.pool_progress, name="progress"),
]
