from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.batches.models import Batch
from apps.batches.selectors import BatchNotOpenToYou, batch_check_open_to, batch_get_open
from apps.pairs.models import Pair
from apps.pairs.selectors import pair_state
from apps.preferences.errors import form_errors_add, refusal_text
from apps.preferences.forms import JudgmentForm
from apps.preferences.models import Strength

from . import selectors, services
from .forms import UserTurnForm
from .models import Dialogue


def _dialogue_or_404(request, dialogue_id: int) -> Dialogue:
    try:
        return selectors.dialogue_get_for(user=request.user, dialogue_id=dialogue_id)
    except Dialogue.DoesNotExist as exc:
        raise Http404 from exc


def _pair_or_404(request, pair_id: int) -> Pair:
    try:
        return selectors.pair_get_for(user=request.user, pair_id=pair_id)
    except Pair.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def batch_home(request, batch_id: int):
    """An annotator's page of a batch: write a prompt, take the next pool pair, earlier work."""
    try:
        batch = batch_get_open(user=request.user, batch_id=batch_id)
    except Batch.DoesNotExist as exc:
        raise Http404 from exc
    try:
        batch_check_open_to(user=request.user, batch_id=batch.pk)
        standing = ""
    except BatchNotOpenToYou as exc:  # paused, or the qualification comes first
        standing = str(exc)
    context = {
        "batch": batch,
        "standing": standing,
        "dialogues": selectors.dialogues_recent_for(user=request.user, batch=batch),
    }
    return render(request, "dialogues/batch_home.html", context)


@login_required
@require_POST
def dialogue_start(request, batch_id: int):
    try:
        batch = batch_get_open(user=request.user, batch_id=batch_id)
    except Batch.DoesNotExist as exc:
        raise Http404 from exc
    form = UserTurnForm(request.POST)
    if form.is_valid():
        try:
            pair = services.dialogue_start(
                batch=batch, annotator=request.user, text=form.cleaned_data["text"]
            )
            return redirect("dialogues:detail", dialogue_id=pair.dialogue_id)
        except (ValidationError, BatchNotOpenToYou) as exc:
            form_errors_add(form, exc)
    return render(request, "dialogues/batch_home.html", {"batch": batch, "form": form}, status=400)


def render_dialogue(request, dialogue: Dialogue, *, turn_form=None, judgment_form=None, status=200):
    pair = selectors.pair_open(dialogue=dialogue)
    turns = list(dialogue.turns.all())
    pair_view = pair_state(pair=pair) if pair else None
    context = {
        "dialogue": dialogue,
        "batch": dialogue.batch,
        "turns": turns if pair is None else [t for t in turns if t.index < pair.user_turn.index],
        "pair": pair,
        "turn_form": turn_form or UserTurnForm(),
        "judgment_form": judgment_form or JudgmentForm(),
        "turns_used": (len(turns) + 1) // 2,
        "pair_view": pair_view,
        "judgment_waiting": pair_view is not None and pair_view["state"] != "ready",
        "judging_closes_at": selectors.pair_judging_closes_at(pair=pair) if pair else None,
        "strength_choices": Strength.choices,
    }
    return render(request, "dialogues/dialogue_detail.html", context, status=status)


@login_required
@require_GET
def dialogue_detail(request, dialogue_id: int):
    return render_dialogue(request, _dialogue_or_404(request, dialogue_id))


@login_required
@require_POST
def dialogue_continue(request, dialogue_id: int):
    dialogue = _dialogue_or_404(request, dialogue_id)
    form = UserTurnForm(request.POST)
    if form.is_valid():
        try:
            services.dialogue_continue(
                dialogue=dialogue, annotator=request.user, text=form.cleaned_data["text"]
            )
            return redirect("dialogues:detail", dialogue_id=dialogue.pk)
        except (ValidationError, BatchNotOpenToYou) as exc:
            form_errors_add(form, exc)
    return render_dialogue(request, dialogue, turn_form=form, status=400)


@login_required
@require_POST
def dialogue_judge(request, pair_id: int):
    pair = _pair_or_404(request, pair_id)
    form = JudgmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.dialogue_judge(
                pair=pair,
                annotator=request.user,
                chosen_side=data["chosen_side"],
                strength=data["strength"],
                time_spent_ms=data["time_spent_ms"] or 0,
                left_is_safe=data["left_is_safe"] or None,
                right_is_safe=data["right_is_safe"] or None,
            )
            messages.success(request, "Judgment saved.")
            return redirect("dialogues:detail", dialogue_id=pair.dialogue_id)
        except ValidationError as exc:
            form_errors_add(form, exc)
    return render_dialogue(request, pair.dialogue, judgment_form=form, status=400)


@login_required
@require_POST
def dialogue_finish(request, dialogue_id: int):
    dialogue = _dialogue_or_404(request, dialogue_id)
    services.dialogue_finish(dialogue=dialogue, annotator=request.user)
    messages.success(request, "Dialogue finished. Write a new prompt whenever you are ready.")
    return redirect("dialogues:batch", batch_id=dialogue.batch_id)


@login_required
@require_GET
def pair_status(request, pair_id: int):
    return JsonResponse(pair_state(pair=_pair_or_404(request, pair_id)))


@login_required
@require_POST
def pair_retry(request, pair_id: int):
    pair = _pair_or_404(request, pair_id)
    try:
        services.pair_retry(pair=pair, annotator=request.user)
    except ValidationError as exc:
        messages.error(request, refusal_text(exc))
    return redirect("dialogues:detail", dialogue_id=pair.dialogue_id)
