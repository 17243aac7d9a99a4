"""bench_quality at a small size: it fills a crowd-like batch, times both views, and cleans up."""

import json

import pytest
from django.core.management import call_command

from apps.batches.models import AnnotatorFlag, Batch
from apps.pairs.models import Pair, Sample
from apps.pools.models import PoolItem
from apps.preferences.models import Comparison, GoldAnswer
from apps.quality.selectors import batch_quality
from benchmarks.quality_fill import quality_clean, quality_fill

pytestmark = [pytest.mark.django_db, pytest.mark.postgres("the fill copies rows in with COPY")]


def test_the_fill_makes_pairs_judged_by_distinct_annotators_and_the_clean_removes_them():
    data = quality_fill(pairs=60, annotators=12, overlap=3)
    comparisons = Comparison.objects.filter(batch_id=data.batch_id)
    assert comparisons.count() == data.comparisons == 180
    assert comparisons.values("pair_id").distinct().count() == 60
    assert GoldAnswer.objects.filter(batch_id=data.batch_id).count() == 2  # one pair in 50
    assert comparisons.exclude(gold_correct=None).count() == 6
    report = batch_quality(batch_ids=[data.batch_id])
    assert report.judgments == 180 and report.shared_pairs == 60
    assert 0 < report.overall.side.value <= 1
    assert len(report.by_week) >= 5 and len(report.flags) == 1  # 3 at 200 annotators
    quality_clean(data=data)
    assert not Batch.objects.filter(pk=data.batch_id).exists()
    assert not Comparison.objects.exists() and not Pair.objects.exists()
    assert not Sample.objects.exists() and not PoolItem.objects.exists()
    assert not AnnotatorFlag.objects.exists()


def test_the_command_prints_one_json_object_with_the_timings(capsys):
    call_command(
        "bench_quality", "--pairs", "40", "--annotators", "10", "--requests", "2", "--json"
    )
    result = json.loads(capsys.readouterr().out)
    assert result["comparisons"] == 200 and result["annotators"] == 10
    for key in ("quality_page_p50_ms", "quality_page_p95_ms", "quality_api_p95_ms"):
        assert result[key] > 0
    assert not Batch.objects.exists()
