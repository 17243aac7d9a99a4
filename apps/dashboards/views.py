"""The batch dashboard page, the panel fragment its script fetches to refresh itself, and the
page of the batch's pairs."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.batches.models import Batch
from apps.core.decorators import staff_required

from .batch_pairs import PAIR_STATES, batch_pair_categories, batch_pairs_page
from .forms import PairFilterForm
from .panel import dashboard_panel_context

DEFAULT_REFRESH_SECONDS = 15
PAIRS_PAGE_SIZE = 20


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


@staff_required
@require_GET
def batch_pairs(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Read-only: every pair of the batch with both responses, its judgments and flags."""
    batch = get_object_or_404(Batch, pk=batch_id)
    form = PairFilterForm(request.GET, categories=batch_pair_categories(batch=batch))
    context = {"batch": batch, "form": form, "state_labels": PAIR_STATES}
    if not form.is_valid():
        return render(request, "dashboards/batch_pairs.html", context, status=400)
    page = batch_pairs_page(
        batch=batch,
        state=form.cleaned_data["state"],
        category=form.cleaned_data["category"],
        number=request.GET.get("page"),
        per_page=PAIRS_PAGE_SIZE,
    )
    return render(request, "dashboards/batch_pairs.html", context | {"page": page})
