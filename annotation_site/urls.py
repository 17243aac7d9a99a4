from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


def health(request):
    return JsonResponse({"status": "ok"})


def favicon(request):
    # Browsers still ask for /favicon.ico where no page names an icon (API answers, files).
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="batches:list"), name="home"),
    path("health/", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/queue/", include("apps.assignments.api_urls")),
    path("api/quality/", include("apps.quality.api_urls")),
    path("api/evaluation/", include("apps.evaluation.api_urls")),
    path("api/leaderboard/", include("apps.leaderboard.api_urls")),
    path("api/", include("apps.exports.urls")),
    path("batches/", include("apps.batches.urls")),
    path("fleet/", include("apps.fleet.urls")),
    path("manage/", include("apps.batches.manage_urls")),
    path("manage/", include("apps.pools.urls")),
    path("manage/", include("apps.dashboards.urls")),
    path("manage/", include("apps.quality.urls")),
    path("manage/", include("apps.evaluation.urls")),
    path("evaluation/", include("apps.evaluation.rater_urls")),
    path("manage/", include("apps.leaderboard.urls")),
    path("", include("apps.assignments.urls")),
    path("", include("apps.dialogues.urls")),
]
