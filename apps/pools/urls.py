from django.urls import path

from . import views

app_name = "pools"
urlpatterns = [
    path("batches/<int:batch_id>/pool/", views.pool_upload, name="upload"),
    path("batches/<int:batch_id>/pool/progress/", views.pool_progress, name="progress"),
    path(
        "batches/<int:batch_id>/pool/uploads/<int:upload_id>/cancel/",
        views.pool_upload_cancel_view,
        name="upload-cancel",
    ),
    path(
        "batches/<int:batch_id>/pool/uploads/<int:upload_id>/bad-lines.csv",
        views.pool_upload_report,
        name="upload-report",
    ),
]
