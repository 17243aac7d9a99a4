from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from apps.batches.models import Batch
from apps.core.decorators import staff_required

from . import selectors
from .forms import PoolUploadForm
from .parsing import PoolFileError
from .services import ACCEPTING, pool_import


@staff_required
@require_http_methods(["GET", "POST"])
def pool_upload(request, batch_id: int):
    batch = get_object_or_404(Batch, pk=batch_id)
    form = PoolUploadForm()
    refused: PoolFileError | None = None
    if request.method == "POST":
        form = PoolUploadForm(request.POST, request.FILES)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                upload = pool_import(
                    batch=batch, uploaded_by=request.user, filename=file.name, data=file
                )
            except PoolFileError as exc:
                refused = exc
            else:
                messages.success(
                    request,
                    f"Imported {upload.rows:,} rows from {upload.filename}; "
                    "their pairs are being generated.",
                )
                return redirect("pools:upload", batch_id=batch.pk)
    context = {
        "batch": batch,
        "form": form,
        "refused": refused,
        "accepting": batch.status in ACCEPTING,
        "uploads": selectors.pool_uploads_recent(batch=batch),
        "progress": selectors.pool_progress(batch=batch),
        "max_messages": 2 * batch.max_turns - 1,
        "max_bytes": settings.POOL_UPLOAD_MAX_BYTES,
        "max_rows": settings.POOL_UPLOAD_MAX_ROWS,
        "max_prompt_chars": settings.MAX_PROMPT_CHARS,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "pools/pool_upload.html", context, status=status)


@staff_required
@require_GET
def pool_progress(request, batch_id: int):
    batch = get_object_or_404(Batch, pk=batch_id)
    return JsonResponse(selectors.pool_progress(batch=batch))
