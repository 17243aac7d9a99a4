import csv

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.batches.models import Batch
from apps.core.decorators import staff_required

from . import selectors
from .forms import PoolUploadForm
from .models import PoolUpload
from .parsing import PoolFileError
from .services import ACCEPTING
from .upload_jobs import pool_upload_cancel, pool_upload_receive


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
                upload = pool_upload_receive(batch=batch, uploaded_by=request.user, file=file)
            except PoolFileError as exc:
                refused = exc
            else:
                size = filesizeformat(upload.size_bytes).replace("\xa0", " ")
                messages.success(
                    request,
                    f"Received {upload.filename} ({size}): every line is being checked, then "
                    "the rows are imported and their pairs generated; the progress shows below.",
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
    return JsonResponse(
        selectors.pool_progress(batch=batch)
        | {"uploads": selectors.pool_uploads_active(batch=batch)}
    )


@staff_required
@require_POST
def pool_upload_cancel_view(request, batch_id: int, upload_id: int):
    upload = get_object_or_404(PoolUpload, pk=upload_id, batch_id=batch_id)
    if pool_upload_cancel(upload=upload):
        messages.success(request, f"Cancelling {upload.filename}: nothing of it is kept.")
    else:
        messages.error(request, f"{upload.filename} has already ended; nothing was cancelled.")
    return redirect("pools:upload", batch_id=batch_id)


@staff_required
@require_GET
def pool_upload_report(request, batch_id: int, upload_id: int):
    """The bad lines of a failed upload as CSV (line, message)."""
    upload = get_object_or_404(PoolUpload, pk=upload_id, batch_id=batch_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="upload-{upload.pk}-bad-lines.csv"'
    writer = csv.writer(response)
    writer.writerow(["line", "message"])
    for bad in upload.bad_lines:
        writer.writerow([bad["line"], bad["message"]])
    if upload.bad_line_count > len(upload.bad_lines):
        writer.writerow(["", f"... and {upload.bad_line_count - len(upload.bad_lines)} more"])
    return response
