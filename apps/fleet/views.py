from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from . import selectors


@staff_member_required
def fleet_status(request):
    context = {
        "workers": selectors.workers_status(),
        "backlog": selectors.generation_backlog(),
        "queue_depth": selectors.broker_queue_depth(),
        "failures": selectors.failures_recent(),
        "endpoints": selectors.endpoints_health(),
    }
    return render(request, "fleet/fleet_status.html", context)
