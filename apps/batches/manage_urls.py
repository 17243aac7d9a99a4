from django.urls import path

from . import manage_views as views

app_name = "batch_manage"
urlpatterns = [
    path("batches/", views.batch_list, name="list"),
    path("batches/new/", views.batch_create, name="create"),
    path("batches/<int:batch_id>/edit/", views.batch_edit, name="edit"),
    path("batches/<int:batch_id>/clone/", views.batch_clone, name="clone"),
    path("batches/<int:batch_id>/open/", views.batch_open, name="open"),
    path("batches/<int:batch_id>/close/", views.batch_close, name="close"),
]
