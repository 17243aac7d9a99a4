"""The review page of a batch (/manage/batches/<id>/review/) and the staff actions on it: mark
or unmark a pair as gold, withdraw or restore judgments. Thin: a form, one service, a message."""

import re

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.batches.models import Batch
from apps.core.decorators import staff_required
from apps.pairs.models import Pair
from apps.preferences.gold import gold_mark, gold_unmark
from apps.preferences.models import Comparison, GoldAnswer
from apps.preferences.withdrawal import comparisons_restore, comparisons_withdraw

from .review import REVIEW_PAGE_SIZE, review_annotators, review_categories, review_page
from .review_forms import GoldMarkForm, RestoreForm, ReviewFilterForm, WithdrawForm

_ANCHOR = re.compile(r"pair-[0-9]{1,19}")


def _back(request: HttpRequest, batch_id: int, anchor: str = "") -> HttpResponseRedirect:
    """Back to the review page as it was: its filters and page number (re-encoded, so the
    posted value can only ever be a query string), at the pair acted on."""
    query = QueryDict(request.POST.get("back", "")).urlencode()
    url = reverse("quality:review", args=[batch_id]) + (f"?{query}" if query else "")
    return HttpResponseRedirect(url + (f"#{anchor}" if _ANCHOR.fullmatch(anchor) else ""))


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@staff_required
@require_GET
def batch_review(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=batch_id)
    form = ReviewFilterForm(
        request.GET,
        annotators=review_annotators(batch=batch),
        categories=review_categories(batch=batch),
    )
    context = {"batch": batch, "form": form, "back": request.GET.urlencode()}
    if not form.is_valid():
        return render(request, "quality/review.html", context, status=400)
    page = review_page(
        batch=batch,
        filters=form.filters(),
        number=request.GET.get("page"),
        per_page=REVIEW_PAGE_SIZE,
    )
    context |= {"page": page, "gold_form": GoldMarkForm(), "withdraw_form": WithdrawForm()}
    return render(request, "quality/review.html", context)


@staff_required
@require_POST
def review_gold_mark(request: HttpRequest, batch_id: int, pair_id: int) -> HttpResponse:
    pair = get_object_or_404(Pair, pk=pair_id, batch_id=batch_id)
    form = GoldMarkForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, f"Pair {pair.pk}: say which response should win, and at least how strongly."
        )
        return _back(request, batch_id, f"pair-{pair.pk}")
    try:
        gold_mark(
            pair=pair, source=GoldAnswer.Source.REVIEW, actor=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        slot = form.cleaned_data["expected_slot"].upper()
        messages.success(request, f"Pair {pair.pk} is gold: {slot} should win.")
    return _back(request, batch_id, f"pair-{pair.pk}")


@staff_required
@require_POST
def review_gold_unmark(request: HttpRequest, batch_id: int, pair_id: int) -> HttpResponse:
    pair = get_object_or_404(Pair, pk=pair_id, batch_id=batch_id)
    try:
        gold_unmark(pair=pair, actor=request.user)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, f"Pair {pair.pk} is no longer gold.")
    return _back(request, batch_id, f"pair-{pair.pk}")


def _whose(batch: Batch, data: dict):
    """The annotator and comparison ids a withdraw or restore form names (404 if neither is
    in the batch)."""
    annotator = comparison_ids = None
    if data.get("annotator"):
        judged = Comparison.objects.filter(batch=batch).values("annotator_id")
        annotator = get_object_or_404(
            get_user_model().objects.filter(pk__in=judged), pk=data["annotator"]
        )
    if data.get("comparison"):
        comparison = get_object_or_404(Comparison, pk=data["comparison"], batch=batch)
        comparison_ids = [comparison.pk]
    return annotator, comparison_ids


def _counted(n: int) -> str:
    return f"{n} judgment{'' if n == 1 else 's'}"


@staff_required
@require_POST
def review_withdraw(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=batch_id)
    form = WithdrawForm(request.POST)
    anchor = request.POST.get("anchor", "")
    if not form.is_valid():
        messages.error(request, "Say why you withdraw these judgments.")
        return _back(request, batch_id, anchor)
    annotator, comparison_ids = _whose(batch, form.cleaned_data)
    try:
        n = comparisons_withdraw(
            batch=batch,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            annotator=annotator,
            comparison_ids=comparison_ids,
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        whose = f" of {annotator.username}" if annotator is not None else ""
        messages.success(request, f"Withdrew {_counted(n)}{whose} from export.")
    return _back(request, batch_id, anchor)


@staff_required
@require_POST
def review_restore(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=batch_id)
    form = RestoreForm(request.POST)
    anchor = request.POST.get("anchor", "")
    if not form.is_valid():
        messages.error(request, "Say which judgment, or whose judgments, to restore.")
        return _back(request, batch_id, anchor)
    annotator, comparison_ids = _whose(batch, form.cleaned_data)
    n = comparisons_restore(
        batch=batch, actor=request.user, annotator=annotator, comparison_ids=comparison_ids
    )
    whose = f" of {annotator.username}" if annotator is not None else ""
    messages.success(request, f"Restored {_counted(n)}{whose} to export.")
    return _back(request, batch_id, anchor)
