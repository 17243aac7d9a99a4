"""Writes for exports: create a job, run it (claim, write, report progress), record the end."""

import json
import logging
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.batches.models import Batch

from .cards import CardBuilder, card_readme
from .models import ExportJob, ExportJobBatch
from .options import ExportOptions
from .streams import export_bytes, export_count

logger = logging.getLogger(__name__)


@transaction.atomic
def export_job_create(*, user, token=None, options: ExportOptions, visible) -> ExportJob:
    """Queue an export of what this requester may read now; the batches are fixed here."""
    if token is not None and token.read_only:
        raise PermissionDenied("This token is read-only: it cannot start export jobs.")
    batch_ids = list(visible.values_list("pk", flat=True))
    if options.batches:
        batch_ids = [pk for pk in batch_ids if pk in set(options.batches)]
    job = ExportJob.objects.create(created_by=user, token=token, options=options.as_dict())
    ExportJobBatch.objects.bulk_create(ExportJobBatch(job=job, batch_id=pk) for pk in batch_ids)
    audit_record(
        actor=user,
        token=token,
        action=AuditEvent.Action.EXPORT_JOB_CREATED,
        target=f"export_job:{job.pk}",
        details={"options": job.options, "batch_ids": batch_ids},
    )
    from .tasks import export_job_run_task

    export_job_run_task.delay_on_commit(job.pk)
    return job


def export_job_claim(*, job_id: int) -> bool:
    """Take the job: queued, or running with a dead worker's heartbeat. One UPDATE, so two
    workers (or a redelivered task) never both run it."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.EXPORT_STALL_AFTER_S)
    claimable = Q(state=ExportJob.State.QUEUED) | (
        Q(state=ExportJob.State.RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None))
    )
    return bool(
        ExportJob.objects.filter(claimable, pk=job_id).update(
            state=ExportJob.State.RUNNING,
            started_at=now,
            heartbeat_at=now,
            rows_written=0,
            attempts=F("attempts") + 1,
        )
    )


def export_job_progress(*, job_id: int, rows_written: int) -> None:
    """Progress and heartbeat in one write; the worker calls this per chunk."""
    ExportJob.objects.filter(pk=job_id, state=ExportJob.State.RUNNING).update(
        rows_written=rows_written, heartbeat_at=timezone.now()
    )


def export_job_fail(*, job_id: int, reason: str) -> None:
    ExportJob.objects.filter(pk=job_id).exclude(state=ExportJob.State.DONE).update(
        state=ExportJob.State.FAILED,
        error=reason[:2000] or "Unknown error",
        finished_at=timezone.now(),
    )


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the job's data file and card. Safe to call twice: only a claim does any work."""
    if not export_job_claim(job_id=job_id):
        return ExportJob.objects.get(pk=job_id)
    job = ExportJob.objects.get(pk=job_id)
    directory = export_job_directory(job_id=job.pk)
    try:
        options = ExportOptions.from_dict(job.options)
        visible = Batch.objects.filter(pk__in=job.covered_batches.values("batch_id"))
        total = export_count(options=options, visible=visible)
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        data_file = f"data.{options.file_type}"
        card = CardBuilder(options=options)
        with open(directory / data_file, "wb") as out:
            for data in export_bytes(options=options, visible=visible, card=card):
                out.write(data)
                # Rows read so far (a split keeps fewer): the part of `total` that is done.
                export_job_progress(job_id=job.pk, rows_written=min(total, card.rows_read))
        card_data = card.as_dict()
        (directory / "card.json").write_text(json.dumps(card_data, indent=2))
        (directory / "README.md").write_text(card_readme(card_data))
    except Exception as exc:
        # Recorded on the job the user is looking at; retrying blindly would not help.
        logger.exception("Export job %s failed", job.pk)
        export_job_fail(job_id=job.pk, reason=f"{type(exc).__name__}: {exc}")
        return ExportJob.objects.get(pk=job.pk)
    ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.RUNNING).update(
        state=ExportJob.State.DONE,
        rows_written=total,
        directory=str(directory),
        data_file=data_file,
        card=card_data,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    return ExportJob.objects.get(pk=job.pk)


def export_job_directory(*, job_id: int) -> Path:
    return Path(settings.EXPORT_DIR) / f"job-{job_id}"


def export_jobs_expire(*, now=None) -> int:
    """Delete the files of jobs that ended more than EXPORT_RETENTION_DAYS ago.

    A done job then reads `expired` (its download answers 410); a failed job keeps its state
    and reason, only its partial file goes. The state changes before the files go, so a
    download never finds a done job without its file. Returns how many jobs expired.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    ended = ExportJob.objects.filter(
        state__in=(ExportJob.State.DONE, ExportJob.State.FAILED), finished_at__lt=cutoff
    )
    expired = 0
    for job_id, state in ended.values_list("pk", "state"):
        if state == ExportJob.State.DONE:
            changed = ExportJob.objects.filter(pk=job_id, state=ExportJob.State.DONE).update(
                state=ExportJob.State.EXPIRED
            )
            if not changed:
                continue
            expired += 1
        shutil.rmtree(export_job_directory(job_id=job_id), ignore_errors=True)
    if expired:
        logger.info("Expired %s export jobs older than %s", expired, cutoff.isoformat())
    return expired
