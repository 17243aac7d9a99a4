from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("batches/<int:batch_id>/dashboard/", views.batch_dashboard, name="batch"),
    path("batches/<int:batch_id>/dashboard/panel/", views.batch_dashboard_panel, name="panel"),
    path("batches/<int:batch_id>/pairs/", views.batch_pairs, name="pairs"),
]
