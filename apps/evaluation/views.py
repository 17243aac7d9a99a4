"""Evaluation pages: staff set up studies and read their results (under /manage/); raters
rate items one at a time (under /evaluation/)."""

import random

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.decorators import staff_required

from . import selectors
from .forms import RatingForm, StudyForm
from .models import Study
from .scales import SAFETY_CHOICES, SIDE_BY_SIDE_CHOICES
from .services import (
    RatingRefused,
    StudyError,
    item_hand_out,
    rating_submit,
    study_create,
    study_status_set,
)


@staff_required
@require_http_methods(["GET", "POST"])
def study_list(request: HttpRequest) -> HttpResponse:
    form = StudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            study = study_create(
                name=data["name"],
                kind=data["kind"],
                source_batch=data["source_batch"],
                variants=list(data["variants"]),
                created_by=request.user,
                raters_per_item=data["raters_per_item"],
                max_new_tokens=data["max_new_tokens"],
                instructions=data["instructions"],
                open_to_all_annotators=data["open_to_all_annotators"],
                raters=list(data["raters"]),
                groups=list(data["groups"]),
                supplied_responses=data["supplied_responses"],
            )
        except StudyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Study “{study.name}” created; its responses are queued.")
            return redirect("evaluation_manage:detail", study_id=study.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "studies": selectors.studies_for_management()}
    return render(request, "evaluation/study_list.html", context, status=status)


@staff_required
@require_GET
def study_detail(request: HttpRequest, study_id: int) -> HttpResponse:
    from .charts import study_charts

    study = get_object_or_404(Study.objects.select_related("source_batch"), pk=study_id)
    results = selectors.study_results_for(study=study)
    context = {
        "study": study,
        "variants": selectors.study_variant_list(study=study),
        "progress": selectors.study_progress(study=study),
        "results": results,
        "charts": study_charts(results),
    }
    return render(request, "evaluation/study_detail.html", context)


@staff_required
@require_POST
def study_status(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(Study, pk=study_id)
    status = request.POST.get("status")
    if status not in Study.Status.values:
        messages.error(request, "Open or close the study.")
    else:
        study_status_set(study=study, status=status)
        messages.success(request, f"The study is {study.get_status_display().lower()}.")
    return redirect("evaluation_manage:detail", study_id=study.pk)


@login_required
@require_GET
def rater_studies(request: HttpRequest) -> HttpResponse:
    studies = selectors.studies_open_for(user=request.user).order_by("-created_at")
    return render(request, "evaluation/rater_studies.html", {"studies": studies})


def _responses(item, a_on_left: bool) -> list:
    samples = selectors.study_item_responses(item=item)
    if item.sample_id is not None:
        return [samples[item.sample.slot]]
    return [samples["a"], samples["b"]] if a_on_left else [samples["b"], samples["a"]]


@login_required
@require_http_methods(["GET", "POST"])
def study_rate(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(Study, pk=study_id)
    if not selectors.study_may_rate(study=study, user=request.user):
        raise Http404
    if request.method == "POST":
        form = RatingForm(request.POST, safety=study.is_safety)
        if not form.is_valid():
            messages.error(request, "Pick one rating on the scale.")
            return redirect("evaluation:rate", study_id=study.pk)
        try:
            rating_submit(
                study=study,
                token=form.cleaned_data["token"],
                rater=request.user,
                screen_value=form.cleaned_data["value"],
            )
        except RatingRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Rating saved.")
        return redirect("evaluation:rate", study_id=study.pk)
    item = selectors.study_item_next(study=study, rater=request.user)
    context = {"study": study, "item": item}
    if item is not None:
        a_on_left = random.random() < 0.5
        context |= {
            "token": item_hand_out(item=item, a_on_left=a_on_left),
            "responses": _responses(item, a_on_left),
            "choices": SAFETY_CHOICES if study.is_safety else SIDE_BY_SIDE_CHOICES,
        }
    return render(request, "evaluation/rate.html", context)
