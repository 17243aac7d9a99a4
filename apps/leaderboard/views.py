"""The leaderboard's staff pages: pick batches and options, then watch the run and read it.

The charts are imported where they are drawn; the statistics run in the worker, never here.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.decorators import staff_required

from .forms import LeaderboardRunForm
from .models import LeaderboardRun
from .selectors import leaderboard_runs_recent
from .services import leaderboard_run_request


@staff_required
@require_http_methods(["GET", "POST"])
def leaderboard_index(request: HttpRequest) -> HttpResponse:
    form = LeaderboardRunForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        run, created = leaderboard_run_request(
            batch_ids=[b.pk for b in form.cleaned_data["batches"]],
            study_ids=[s.pk for s in form.cleaned_data["studies"]],
            options=form.options(),
            user=request.user,
        )
        if not created:
            messages.info(request, "Nothing changed since this run: its result is reused.")
        return redirect("leaderboard:run", run_id=run.pk)
    context = {"form": form, "runs": leaderboard_runs_recent()}
    return render(request, "leaderboard/index.html", context, status=400 if form.is_bound else 200)


@staff_required
@require_GET
def leaderboard_run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(
        LeaderboardRun.objects.prefetch_related("batches", "studies"), pk=run_id
    )
    context = {
        "run": run,
        "batches": list(run.batches.order_by("pk")),
        "studies": list(run.studies.select_related("source_batch").order_by("pk")),
    }
    if run.status == LeaderboardRun.Status.DONE:
        from .charts import movement_chart, score_chart, win_rate_heatmap

        context["result"] = run.result
        context["charts"] = {
            "scores": score_chart(result=run.result),
            "win_rates": win_rate_heatmap(result=run.result),
            "movement": movement_chart(result=run.result),
        }
    return render(request, "leaderboard/run.html", context)
