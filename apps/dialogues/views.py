from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.batches.models import Batch
from apps.batches.selectors import batch_get_open
from apps.pairs.models import Pair
from apps.preferences.forms import JudgmentForm
from apps.preferences.models import Strength
from apps.preferences.selectors import pair_judging_closes_at

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


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


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
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "batches/batch_detail.html", {"batch": batch, "form": form}, status=400)


def render_dialogue(request, dialogue: Dialogue, *, turn_form=None, judgment_form=None, status=200):
    pair = selectors.pair_open(dialogue=dialogue)
    turns = list(dialogue.turns.all())
    context = {
        "dialogue": dialogue,
        "batch": dialogue.batch,
        "turns": turns if pair is None else [t for t in turns if t.index < pair.user_turn.index],
        "pair": pair,
        "turn_form": turn_form or UserTurnForm(),
        "judgment_form": judgment_form or JudgmentForm(),
        "turns_used": (len(turns) + 1) // 2,
        "pair_view": selectors.pair_state(pair=pair) if pair else None,
        "judging_closes_at": pair_judging_closes_at(pair=pair) if pair else None,
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
        except ValidationError as exc:
            form.add_error(None, exc)
    return render_dialogue(request, dialogue, turn_form=form, status=400)


@login_required
@require_POST
def dialogue_finish(request, dialogue_id: int):
    dialogue = _dialogue_or_404(request, dialogue_id)
    services.dialogue_finish(dialogue=dialogue, annotator=request.user)
    messages.success(request, "Dialogue finished. Write a new prompt whenever you are ready.")
    return redirect("batches:detail", batch_id=dialogue.batch_id)


@login_required
@require_GET
def pair_status(request, pair_id: int):
    return JsonResponse(selectors.pair_state(pair=_pair_or_404(request, pair_id)))


@login_required
@require_POST
def pair_retry(request, pair_id: int):
    pair = _pair_or_404(request, pair_id)
    try:
        services.pair_retry(pair=pair, annotator=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("dialogues:detail", dialogue_id=pair.dialogue_id)
