"""Leaderboard runs: request one (or reuse the cached one), and run the job."""

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from apps.batches.models import Batch
from apps.catalog.models import ModelVariant
from apps.evaluation.models import Study, StudyRating
from apps.preferences.models import Comparison

from .models import LeaderboardRun
from .options import RankingOptions

logger = logging.getLogger(__name__)

# Bump when the computation changes: runs stored by the old code are then not reused.
COMPUTATION_VERSION = 1


def leaderboard_fingerprint(
    *, batch_ids: list[int], options: RankingOptions, study_ids: Sequence[int] = ()
) -> str:
    """A digest of everything the result depends on: the options, the batches (and their
    iterations) and the state of their comparisons (count, withdrawn count, newest id and
    newest withdrawal), and the studies' ratings (count and newest id: a rating is never
    changed). A new, withdrawn or restored comparison, or a new rating, changes it."""
    ids = sorted({int(pk) for pk in batch_ids})
    studies = sorted({int(pk) for pk in study_ids})
    stats = Comparison.objects.filter(batch_id__in=ids).aggregate(
        n=Count("pk"),
        withdrawn=Count("pk", filter=Q(withdrawn_at__isnull=False)),
        max_id=Max("pk"),
        max_withdrawn_at=Max("withdrawn_at"),
    )
    iterations = list(
        Batch.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "iteration")
    )
    payload = {
        "version": COMPUTATION_VERSION,
        "batches": iterations,
        "options": options.as_dict(),
        "comparisons": stats,
    }
    if studies:  # runs over batches only keep the fingerprints they had
        payload["studies"] = list(
            Study.objects.filter(pk__in=studies)
            .order_by("pk")
            .values_list("pk", "source_batch__iteration")
        )
        payload["ratings"] = StudyRating.objects.filter(item__study_id__in=studies).aggregate(
            n=Count("pk"), max_id=Max("pk")
        )
    return hashlib.sha256(json.dumps(payload, default=str, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def leaderboard_run_request(
    *,
    batch_ids: list[int],
    options: RankingOptions,
    user,
    study_ids: Sequence[int] = (),
    enqueue: bool = True,
) -> tuple[LeaderboardRun, bool]:
    """The run for these batches, studies and options: an earlier one with the same
    fingerprint (done, or still queued or running) if there is one, else a new queued run
    whose job is enqueued on commit (unless `enqueue` is False: the caller runs the task
    itself, as the benchmark does). Returns (run, created)."""
    ids = sorted({int(pk) for pk in batch_ids})
    studies = sorted({int(pk) for pk in study_ids})
    if not ids and not studies:
        raise ValueError("pick at least one batch or study")
    fingerprint = leaderboard_fingerprint(batch_ids=ids, options=options, study_ids=studies)
    if connection.vendor == "postgresql":
        # Two identical requests at once: the second waits here, then finds the first's run.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(fingerprint[:15], 16)])
    cached = (
        LeaderboardRun.objects.filter(fingerprint=fingerprint)
        .exclude(status=LeaderboardRun.Status.FAILED)
        .order_by("-created_at", "-pk")
        .first()
    )
    if cached is not None:
        return cached, False
    run = LeaderboardRun.objects.create(
        fingerprint=fingerprint, created_by=user, **options.as_dict()
    )
    run.batches.set(ids)
    run.studies.set(studies)
    if enqueue:
        from .tasks import leaderboard_run_task

        leaderboard_run_task.delay_on_commit(run.pk)
    return run, True


def _progress(run_id: int):
    def report(share: float, step: str) -> None:
        LeaderboardRun.objects.filter(pk=run_id).update(progress=share, step=step)

    return report


def _claim(run_id: int) -> bool:
    """Take the run: queued, or running for longer than the job's hard limit (its worker was
    lost). One conditional UPDATE, so two deliveries never both compute."""
    stale = timezone.now() - timedelta(seconds=settings.LEADERBOARD_SOFT_TIME_LIMIT_S + 60)
    claimable = Q(status=LeaderboardRun.Status.QUEUED) | Q(
        status=LeaderboardRun.Status.RUNNING, started_at__lt=stale
    )
    return bool(
        LeaderboardRun.objects.filter(claimable, pk=run_id).update(
            status=LeaderboardRun.Status.RUNNING,
            started_at=timezone.now(),
            progress=0.0,
            step="reading comparisons",
        )
    )


def leaderboard_run_execute(*, run_id: int) -> str:
    """Compute a run's leaderboard and store it (done), or store why not (failed).

    Harmless to call twice: a run another call holds, or one already ended, is left alone.
    Returns the run's status afterwards.
    """
    # numpy, pandas, scipy and evalica: loaded in the worker, not in every web process.
    from apps.evaluation.selectors import study_comparisons_for_ranking

    from .compute import leaderboard_compute
    from .inputs import batch_comparisons_for_ranking, ranking_rows_concat

    if not _claim(run_id):
        return (
            LeaderboardRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
            or "missing"
        )
    run = LeaderboardRun.objects.get(pk=run_id)
    batch_ids = list(run.batches.values_list("pk", flat=True))
    study_ids = list(run.studies.values_list("pk", flat=True))
    options = RankingOptions(
        strength_weighted=run.strength_weighted,
        position_control=run.position_control,
        length_control=run.length_control,
        bootstrap_rounds=run.bootstrap_rounds,
    )
    try:
        # Every source hands over the same columns: preference batches and studies' ratings.
        parts = [batch_comparisons_for_ranking(batch_ids=batch_ids)] if batch_ids else []
        if study_ids:
            parts.append(study_comparisons_for_ranking(study_ids=study_ids))
        rows = ranking_rows_concat(*parts)
        if rows["variant_a"].size == 0:
            raise ValueError(
                "no comparison to rank: the batches have no comparison between two different "
                "variants that is not withdrawn, and the studies no side-by-side rating"
            )
        ids = {int(x) for x in rows["variant_a"]} | {int(x) for x in rows["variant_b"]}
        names = dict(ModelVariant.objects.filter(pk__in=ids).values_list("pk", "name"))
        result = leaderboard_compute(
            rows=rows, options=options, variant_names=names, progress=_progress(run_id)
        )
    except (ValueError, RuntimeError) as exc:
        LeaderboardRun.objects.filter(pk=run_id).update(
            status=LeaderboardRun.Status.FAILED,
            error=str(exc) or exc.__class__.__name__,
            finished_at=timezone.now(),
        )
        return LeaderboardRun.Status.FAILED
    except Exception as exc:
        logger.exception("leaderboard run %s failed", run_id)
        LeaderboardRun.objects.filter(pk=run_id).update(
            status=LeaderboardRun.Status.FAILED,
            error=f"internal error: {exc.__class__.__name__}",
            finished_at=timezone.now(),
        )
        raise
    LeaderboardRun.objects.filter(pk=run_id).update(
        status=LeaderboardRun.Status.DONE,
        result=result,
        comparisons=result["comparisons"],
        progress=1.0,
        step="",
        finished_at=timezone.now(),
    )
    return LeaderboardRun.Status.DONE
