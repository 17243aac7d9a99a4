"""Staff pages of the variant leaderboard, under /manage/leaderboard/."""

from django.urls import path

from . import views

app_name = "leaderboard"

urlpatterns = [
    path("leaderboard/", views.leaderboard_index, name="index"),
    path("leaderboard/runs/<int:run_id>/", views.leaderboard_run_page, name="run"),
]
