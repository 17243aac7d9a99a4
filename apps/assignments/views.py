"""The annotator's work-queue pages: Next, the leased pair, skip, flag, release and history."""

import math
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.batches.models import Batch
from apps.batches.selectors import (
    AnnotatorPaused,
    BatchNotOpenToYou,
    QualificationNeeded,
    batch_check_open_to,
    batch_get_open,
)
from apps.preferences.errors import form_errors_add, refusal_text
from apps.preferences.gold import qualification_feedback_for
from apps.preferences.models import Strength

from . import selectors, services
from .claim_statements import LeaseLimitReached
from .forms import LeaseFlagForm, LeaseJudgmentForm, LeaseSkipForm
from .models import Lease

HISTORY_PAGE_SIZE = 25
# A lease in these states still takes a judgment (an expired one is kept if the pair needs it).
LIVE_STATUSES = {Lease.Status.OPEN, Lease.Status.EXPIRED}


def _batch_or_404(request, batch_id: int) -> Batch:
    try:
        return batch_get_open(user=request.user, batch_id=batch_id)
    except Batch.DoesNotExist as exc:
        raise Http404 from exc


def _lease_or_404(request, lease_id: int) -> Lease:
    try:
        return selectors.lease_get_for(user=request.user, lease_id=lease_id)
    except Lease.DoesNotExist as exc:
        raise Http404 from exc


def _go_next(request, batch: Batch):
    """Hand the annotator their next piece of work in the batch (what the Next button does)."""
    try:
        lease = services.lease_next(batch=batch, annotator=request.user)
    except (AnnotatorPaused, QualificationNeeded):
        # The batch is theirs but gives nothing new now: the overview says why and lists
        # what they still hold (a lease they hold may still be submitted).
        return redirect("queue:overview", batch_id=batch.pk)
    except BatchNotOpenToYou:
        messages.info(request, f"The batch “{batch.name}” is closed or no longer open to you.")
        return redirect("batches:list")
    except LeaseLimitReached as exc:
        messages.error(request, refusal_text(exc))
        return redirect("queue:overview", batch_id=batch.pk)
    if lease is not None:
        return redirect("queue:lease", lease_id=lease.pk)
    if batch.allow_written_prompts:
        messages.info(
            request, "No pool pair is waiting for you right now: write a prompt of your own below."
        )
        return redirect("dialogues:batch", batch_id=batch.pk)
    return redirect("queue:overview", batch_id=batch.pk)


@login_required
@require_POST
def queue_next(request, batch_id: int):
    return _go_next(request, _batch_or_404(request, batch_id))


@login_required
@require_GET
def queue_overview(request, batch_id: int):
    """Where Next lands when it has nothing to give: the annotator's open pairs and a retry."""
    batch = _batch_or_404(request, batch_id)
    open_leases = list(selectors.leases_open_for(user=request.user))
    try:
        batch_check_open_to(user=request.user, batch_id=batch.pk, qualifying=True)
        refusal = ""
    except BatchNotOpenToYou as exc:  # paused, or the qualification is not passed or ready
        refusal = str(exc)
    context = {
        "batch": batch,
        "refusal": refusal,
        "open_leases": open_leases,
        "holds_one_here": any(lease.batch_id == batch.pk for lease in open_leases),
    }
    return render(request, "assignments/queue_overview.html", context)


def _render_lease(
    request,
    lease: Lease,
    *,
    judgment_form: LeaseJudgmentForm | None = None,
    skip_form: LeaseSkipForm | None = None,
    flag_form: LeaseFlagForm | None = None,
    problem: str = "",
    status: int = 200,
):
    view = selectors.lease_view(lease=lease)
    seconds_left = (view["expires_at"] - timezone.now()).total_seconds()
    context = {
        **view,
        "live": view["status"] in LIVE_STATUSES,
        # Rounded up: the page never calls a lease expired before the server does.
        "seconds_left": max(0, math.ceil(seconds_left)),
        "judgment_form": judgment_form
        or LeaseJudgmentForm(initial={"idempotency_key": uuid.uuid4().hex}),
        "skip_form": skip_form or LeaseSkipForm(),
        "flag_form": flag_form or LeaseFlagForm(),
        "strength_choices": Strength.choices,
        "problem": problem,
    }
    return render(request, "assignments/lease_detail.html", context, status=status)


def _ended_elsewhere(request, lease_id: int, exc: Exception):
    """The lease ended before this request (another tab, a resubmit): say so, store nothing."""
    lease = _lease_or_404(request, lease_id)
    problem = refusal_text(exc) or "This pair is no longer yours to judge."
    return _render_lease(request, lease, problem=problem, status=409)


@login_required
@require_http_methods(["GET", "POST"])
def lease_detail(request, lease_id: int):
    lease = _lease_or_404(request, lease_id)
    if request.method == "GET":
        return _render_lease(request, lease)
    form = LeaseJudgmentForm(request.POST)
    if not form.is_valid():
        return _render_lease(request, lease, judgment_form=form, status=400)
    data = form.cleaned_data
    try:
        outcome = services.lease_submit(
            lease_id=lease.pk,
            annotator=request.user,
            idempotency_key=data["idempotency_key"],
            chosen_side=data["chosen_side"],
            strength=data["strength"],
            time_spent_ms=data["time_spent_ms"] or 0,
            left_is_safe=data["left_is_safe"] or None,
            right_is_safe=data["right_is_safe"] or None,
        )
    except Lease.DoesNotExist as exc:
        raise Http404 from exc
    except services.LateSubmitRejected:
        # The page explains it from the lease's status: nothing was stored.
        return _render_lease(request, _lease_or_404(request, lease_id), status=409)
    except services.LeaseConflict as exc:
        return _ended_elsewhere(request, lease_id, exc)
    except ValidationError as exc:
        form_errors_add(form, exc)
        return _render_lease(request, lease, judgment_form=form, status=400)
    if outcome.replayed:
        messages.info(request, "That judgment was already stored; it is kept once.")
    elif outcome.late:
        messages.warning(
            request,
            "Your lease had expired, but your judgment was kept: the pair still needed it.",
        )
    else:
        messages.success(request, "Judgment saved.")
    return _after_submit(request, lease, outcome.comparison)


def _after_submit(request, lease: Lease, comparison):
    """A qualification answer shows its feedback first; any other goes on to the next pair."""
    if qualification_feedback_for(comparison=comparison) is not None:
        return redirect("queue:feedback", lease_id=lease.pk)
    return _go_next(request, lease.batch)


@login_required
@require_GET
def lease_feedback(request, lease_id: int):
    """After a qualification answer: their answer, the expected one, and why."""
    lease = _lease_or_404(request, lease_id)
    comparison = lease.comparison
    feedback = qualification_feedback_for(comparison=comparison) if comparison else None
    if feedback is None:
        raise Http404
    context = {"lease": lease, "batch": lease.batch, "feedback": feedback}
    return render(request, "assignments/qualification_feedback.html", context)


@login_required
@require_POST
def lease_skip(request, lease_id: int):
    lease = _lease_or_404(request, lease_id)
    form = LeaseSkipForm(request.POST)
    if not form.is_valid():
        return _render_lease(request, lease, skip_form=form, status=400)
    try:
        services.lease_skip(
            lease_id=lease.pk, annotator=request.user, reason=form.cleaned_data["reason"]
        )
    except services.LeaseConflict as exc:
        return _ended_elsewhere(request, lease_id, exc)
    except ValidationError as exc:
        form_errors_add(form, exc)
        return _render_lease(request, lease, skip_form=form, status=400)
    messages.info(request, "Skipped: you will not get that pair again.")
    return _go_next(request, lease.batch)


@login_required
@require_POST
def lease_flag(request, lease_id: int):
    lease = _lease_or_404(request, lease_id)
    form = LeaseFlagForm(request.POST)
    if not form.is_valid():
        return _render_lease(request, lease, flag_form=form, status=400)
    try:
        services.lease_flag(
            lease_id=lease.pk,
            annotator=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except services.LeaseConflict as exc:
        return _ended_elsewhere(request, lease_id, exc)
    except ValidationError as exc:
        form_errors_add(form, exc)
        return _render_lease(request, lease, flag_form=form, status=400)
    messages.info(request, "Flagged, thank you: you will not get that pair again.")
    return _go_next(request, lease.batch)


@login_required
@require_POST
def lease_release(request, lease_id: int):
    lease = _lease_or_404(request, lease_id)
    try:
        services.lease_release(lease_id=lease.pk, annotator=request.user)
    except services.LeaseConflict as exc:
        return _ended_elsewhere(request, lease_id, exc)
    messages.info(request, "Released: the pair went back to the pool for someone else.")
    return redirect("dialogues:batch", batch_id=lease.batch_id)


@login_required
@require_GET
def lease_history(request):
    """Every judgment the annotator made (queue and dialogue) and every pair they let go."""
    page = selectors.history_page_for(
        user=request.user, number=request.GET.get("page"), per_page=HISTORY_PAGE_SIZE
    )
    return render(request, "assignments/history.html", {"page": page})
