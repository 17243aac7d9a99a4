from django.urls import path

from . import views

app_name = "queue"
urlpatterns = [
    path("batches/<int:batch_id>/next/", views.queue_next, name="next"),
    path("batches/<int:batch_id>/queue/", views.queue_overview, name="overview"),
    path("leases/<int:lease_id>/", views.lease_detail, name="lease"),
    path("leases/<int:lease_id>/feedback/", views.lease_feedback, name="feedback"),
    path("leases/<int:lease_id>/skip/", views.lease_skip, name="skip"),
    path("leases/<int:lease_id>/flag/", views.lease_flag, name="flag"),
    path("leases/<int:lease_id>/release/", views.lease_release, name="release"),
    path("history/", views.lease_history, name="history"),
]
