"""The leaderboard in the API, under /api/leaderboard/."""

from django.urls import path

from . import api_views

app_name = "leaderboard_api"

urlpatterns = [
    path("runs/", api_views.LeaderboardRunListApi.as_view(), name="run-list"),
    path("runs/<int:run_id>/", api_views.LeaderboardRunDetailApi.as_view(), name="run-detail"),
]
