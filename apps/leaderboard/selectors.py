"""Reads of leaderboard runs, narrowed to what an API token may reach."""

from django.db.models import QuerySet

from apps.accounts.models import ApiToken
from apps.accounts.selectors import api_token_batch_scope, api_token_scope_apply
from apps.batches.models import Batch
from apps.evaluation.models import Study

from .models import LeaderboardRun

RECENT_RUNS = 20


def leaderboard_runs_recent(*, limit: int = RECENT_RUNS) -> list[LeaderboardRun]:
    return list(
        LeaderboardRun.objects.select_related("created_by").prefetch_related("batches", "studies")[
            :limit
        ]
    )


def batches_in_scope(*, batch_ids: list[int], token: ApiToken | None) -> QuerySet[Batch]:
    """The batches among `batch_ids` that exist and that the token may use."""
    return api_token_scope_apply(
        queryset=Batch.objects.filter(pk__in=batch_ids), token=token, field="pk"
    )


def studies_in_scope(*, study_ids: list[int], token: ApiToken | None) -> QuerySet[Study]:
    """The side-by-side studies among `study_ids` that exist and that the token may use (a
    study is reached over the batch whose prompts it used, as the evaluation API does)."""
    return api_token_scope_apply(
        queryset=Study.objects.filter(pk__in=study_ids, kind=Study.Kind.SIDE_BY_SIDE),
        token=token,
        field="source_batch_id",
    )


def leaderboard_run_visible(*, run_id: int, token: ApiToken | None) -> LeaderboardRun | None:
    """The run, if every batch it ranks (and every study's batch) is within the token's
    scope (None otherwise)."""
    run = LeaderboardRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    scope = api_token_batch_scope(token=token)
    if scope is None:
        return run
    outside = run.batches.exclude(pk__in=scope).exists()
    outside = outside or run.studies.exclude(source_batch_id__in=scope).exists()
    return None if outside else run
