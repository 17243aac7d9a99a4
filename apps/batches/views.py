from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from apps.dialogues.selectors import dialogues_recent_for

from .models import Batch
from .selectors import batch_get_open, batches_open_for


@login_required
def batch_list(request):
    return render(
        request, "batches/batch_list.html", {"batches": batches_open_for(user=request.user)}
    )


@login_required
def batch_detail(request, batch_id: int):
    try:
        batch = batch_get_open(user=request.user, batch_id=batch_id)
    except Batch.DoesNotExist as exc:
        raise Http404 from exc
    context = {
        "batch": batch,
        "dialogues": dialogues_recent_for(user=request.user, batch=batch),
    }
    return render(request, "batches/batch_detail.html", context)
