from django.urls import path

from . import views

app_name = "preferences"
urlpatterns = [
    path("pairs/<int:pair_id>/judge/", views.comparison_create, name="judge"),
]
