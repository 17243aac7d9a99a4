from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.dialogues.selectors import pair_get_for
from apps.dialogues.views import render_dialogue
from apps.pairs.models import Pair

from .forms import JudgmentForm
from .services import comparison_submit


@login_required
@require_POST
def comparison_create(request, pair_id: int):
    try:
        pair = pair_get_for(user=request.user, pair_id=pair_id)
    except Pair.DoesNotExist as exc:
        raise Http404 from exc
    form = JudgmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            comparison_submit(
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
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
    return render_dialogue(request, pair.dialogue, judgment_form=form, status=400)
