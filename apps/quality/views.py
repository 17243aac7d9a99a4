"""The batch's quality page, and the staff actions on it: lift a flag, pause an annotator.

The figures and charts are imported where they are drawn: they bring scipy and pandas, which a
web process should load only once someone opens a quality page.
"""

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.batches.flags import annotator_flag_lift, annotator_flag_raise
from apps.batches.models import AnnotatorFlag, Batch
from apps.core.decorators import staff_required

from .forms import AnnotatorPauseForm, FlagLiftForm

if TYPE_CHECKING:
    from .selectors import QualityReport


def _pause_choices(report: "QualityReport") -> list[tuple[int, str]]:
    return [
        (row.figures.annotator_id, row.username)
        for row in report.annotator_rows
        if row.flag is None or not row.flag.pauses_work
    ]


@staff_required
@require_GET
def batch_quality_page(request: HttpRequest, batch_id: int) -> HttpResponse:
    from .charts import agreement_over_time_chart, left_share_chart, speed_chart
    from .selectors import batch_quality

    batch = get_object_or_404(Batch, pk=batch_id)
    report = batch_quality(batch_ids=[batch.pk])
    context = {
        "batch": batch,
        "report": report,
        "charts": {
            "weeks": agreement_over_time_chart(weeks=report.by_week),
            "left": left_share_chart(rows=report.annotator_rows),
            "speed": speed_chart(rows=report.annotator_rows, floor_seconds=report.floor_seconds),
        },
        "pause_form": AnnotatorPauseForm(annotators=_pause_choices(report)),
    }
    return render(request, "quality/batch_quality.html", context)


@staff_required
@require_POST
def batch_quality_flag_lift(request: HttpRequest, batch_id: int, flag_id: int) -> HttpResponse:
    flag = get_object_or_404(AnnotatorFlag, pk=flag_id, batch_id=batch_id)
    form = FlagLiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the note shorter.")
        return redirect("quality:batch", batch_id=batch_id)
    try:
        annotator_flag_lift(flag_id=flag.pk, actor=request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Lifted the flag on {flag.annotator.username}.")
    return redirect("quality:batch", batch_id=batch_id)


@staff_required
@require_POST
def batch_quality_annotator_pause(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=batch_id)
    judged = batch.comparisons.values_list("annotator_id", flat=True).distinct()
    users = get_user_model().objects.filter(pk__in=judged).order_by("username")
    form = AnnotatorPauseForm(request.POST, annotators=list(users.values_list("pk", "username")))
    if not form.is_valid():
        messages.error(request, "Pick an annotator who judged here and say why.")
        return redirect("quality:batch", batch_id=batch_id)
    annotator = users.get(pk=form.cleaned_data["annotator"])
    flag = annotator_flag_raise(
        batch=batch,
        annotator=annotator,
        reason=form.cleaned_data["reason"],
        details={"by_staff": True},
        pauses_work=True,
        actor=request.user,
    )
    if flag.pauses_work:
        messages.success(request, f"Paused {annotator.username} on this batch.")
    else:
        messages.error(
            request, f"{annotator.username} already has an active flag; lift it first to pause."
        )
    return redirect("quality:batch", batch_id=batch_id)
