"""The batch dashboard page and the panel fragment its script fetches to refresh itself."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.batches.models import Batch
from apps.core.decorators import staff_required

from .panel import dashboard_panel_context

DEFAULT_REFRESH_SECONDS = 15


def _refresh_seconds() -> int:
    return max(1, int(getattr(settings, "DASHBOARD_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)))


@staff_required
@require_GET
@never_cache
def batch_dashboard(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=batch_id)
    context = dashboard_panel_context(batch=batch) | {"refresh_seconds": _refresh_seconds()}
    return render(request, "dashboards/batch_dashboard.html", context)


@staff_required
@require_GET
@never_cache
def batch_dashboard_panel(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=batch_id)
    return render(request, "dashboards/_panel.html", dashboard_panel_context(batch=batch))
