from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import batches_with_standing_for


@login_required
def batch_list(request):
    return render(
        request,
        "batches/batch_list.html",
        {"batches": batches_with_standing_for(user=request.user)},
    )
