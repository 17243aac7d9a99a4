import pytest

from apps.dialogues.models import Dialogue, Turn
from apps.pairs.models import Pair, Sample
from apps.preferences.models import Comparison
from benchmarks.export_fill import bench_clean, bench_fill


@pytest.mark.django_db
@pytest.mark.postgres("the fill copies rows in with COPY")
def test_the_fill_makes_valid_multi_turn_comparisons_and_the_clean_removes_them():
    data = bench_fill(rows=50, response_chars=40, turns=4, chunk_dialogues=3)
    comparisons = Comparison.objects.filter(batch_id__in=data.batch_ids).order_by("pk")
    assert comparisons.count() == 50
    assert [len(c.context) for c in comparisons[:4]] == [1, 3, 5, 7]
    first = comparisons[1]
    assert (
        first.context[1]["content"]
        == Turn.objects.get(dialogue_id=first.pair.dialogue_id, index=1).text
    )
    assert comparisons.filter(track="safety").exclude(chosen_is_safe=None).exists()
    bench_clean(data=data)
    assert not Comparison.objects.exists()
    assert not Dialogue.objects.exists() and not Pair.objects.exists()
    assert not Sample.objects.exists() and not Turn.objects.exists()
