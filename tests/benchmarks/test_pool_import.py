"""`bench_pool_import` for real, small: the job's service imports a generated file, reports a
bad line near the end of a second one, and everything is deleted afterwards."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.batches.models import Batch, SamplingConfig
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pools.models import PoolItem, PoolUpload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres("the import progress is written on a second connection"),
]


def test_it_prints_the_figures_and_leaves_nothing_behind():
    out = StringIO()
    call_command("bench_pool_import", rows=300, overlap=2, json=True, stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == {
        "rows",
        "overlap",
        "import_s",
        "rows_per_s",
        "peak_rss_mb",
        "bad_line_report_s",
        "bad_line",
        "file_mb",
    }
    assert (result["rows"], result["overlap"], result["bad_line"]) == (300, 2, 290)
    assert result["rows_per_s"] > 0 and result["bad_line_report_s"] > 0
    # The process's peak (ru_maxrss): in a test session it counts everything loaded before.
    assert result["peak_rss_mb"] > 50
    for model in (Batch, SamplingConfig, PoolUpload, PoolItem, Pair, Sample, JudgmentSlot):
        assert not model.objects.exists(), model.__name__
    assert not AuditEvent.objects.exists()


def test_it_refuses_too_few_rows():
    with pytest.raises(CommandError, match="at least 20"):
        call_command("bench_pool_import", rows=5, json=True)
