"""Export choices from quality control: withdrawn judgments never leave, gold pairs only when
asked, disagreements and flagged or paused annotators dropped on request, a per-row weight, and
the card's agreement and gold accuracy."""

import io

import orjson
import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.batches.models import AnnotatorFlag, Batch
from apps.exports.models import ExportJob
from apps.exports.options import ExportOptions
from apps.exports.streams import export_bytes, export_count
from apps.exports.tasks import export_job_run_task
from apps.preferences.models import Comparison, GoldAnswer
from apps.preferences.withdrawal import comparisons_withdraw
from apps.quality.selectors import annotator_standing_for
from tests.exports.conftest import judge, pool_judge, pool_pair
from tests.factories import BatchFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def jsonl(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return [orjson.loads(line) for line in body(response).splitlines()]


def gold(pair, *, expected="a", qualification=False) -> GoldAnswer:
    return GoldAnswer.objects.create(
        pair=pair,
        batch_id=pair.batch_id,
        expected_slot=expected,
        for_qualification=qualification,
        source=GoldAnswer.Source.ADMIN,
    )


def flag(*, batch, annotator, pauses: bool, lifted: bool = False) -> AnnotatorFlag:
    return AnnotatorFlag.objects.create(
        batch=batch,
        annotator=annotator,
        reason="gold accuracy under 0.7",
        pauses_work=pauses,
        lifted_at=timezone.now() if lifted else None,
    )


@pytest.fixture
def crowd():
    """Three annotators on six pool pairs of an overlap-3 batch: the first three pairs they
    agree on (a), the last three the third one chooses b alone."""
    batch = BatchFactory(overlap=3, name="Crowd")
    annotators = [UserFactory(username=f"crowd-{i}") for i in range(3)]
    pairs = [pool_pair(batch=batch, line=line) for line in range(1, 7)]
    for index, pair in enumerate(pairs):
        for n, annotator in enumerate(annotators):
            chosen = "b" if index >= 3 and n == 2 else "a"
            pool_judge(pair=pair, annotator=annotator, chosen_slot=chosen)
    return batch, annotators, pairs


# Withdrawn judgments


def test_withdrawn_judgments_are_never_exported_streamed_listed_counted_or_in_a_job(
    api, staff, batch, annotator
):
    kept = judge(batch=batch, annotator=annotator, prompt="keep")
    gone = judge(batch=batch, annotator=annotator, prompt="gone")
    comparisons_withdraw(batch=batch, actor=staff, reason="rushed", comparison_ids=[gone.pk])

    for file_type in ("jsonl", "parquet"):
        for overlap in ("all", "first", "majority"):
            options = {"file_type": file_type, "overlap": overlap, "format": "raw"}
            data = body(api.get("/api/exports/stream/", options))
            if file_type == "jsonl":
                ids = [orjson.loads(line)["id"] for line in data.splitlines()]
            else:
                ids = pq.read_table(io.BytesIO(data)).column("id").to_pylist()
            assert ids == [kept.pk], options
    assert [c["id"] for c in api.get("/api/comparisons/").json()["results"]] == [kept.pk]
    assert api.get(f"/api/batches/{batch.pk}/").json()["comparisons"] == 1
    assert api.get("/api/exports/card/").json()["rows"] == 1
    assert export_count(options=ExportOptions(), visible=Batch.objects.all()) == 1

    job = api.post("/api/exports/jobs/", {"format": "trl"}, content_type="application/json")
    export_job_run_task(job.json()["id"])
    done = ExportJob.objects.get(pk=job.json()["id"])
    assert done.rows_written == done.card["rows"] == 1
    with open(done.directory + "/data.jsonl") as handle:
        assert [orjson.loads(line)["id"] for line in handle] == [kept.pk]


def test_a_withdrawn_judgment_does_not_vote_in_the_majority(api, staff):
    batch = BatchFactory(overlap=3)
    pair = pool_pair(batch=batch, line=1)
    first, second, third = (UserFactory() for _ in range(3))
    a = pool_judge(pair=pair, annotator=first, chosen_slot="a")
    pool_judge(pair=pair, annotator=second, chosen_slot="b")
    pool_judge(pair=pair, annotator=third, chosen_slot="b")
    comparisons_withdraw(batch=batch, actor=staff, reason="bot", annotator=second)

    rows = jsonl(api.get("/api/exports/stream/", {"overlap": "majority"}))

    assert rows == []  # one a, one b left: a tie drops the pair
    comparisons_withdraw(batch=batch, actor=staff, reason="bot", annotator=third)
    rows = jsonl(api.get("/api/exports/stream/", {"overlap": "majority"}))
    assert [r["id"] for r in rows] == [a.pk]


# Gold pairs


def test_gold_pairs_are_left_out_unless_include_gold(api, crowd):
    _batch, _annotators, pairs = crowd
    gold(pairs[0])
    gold(pairs[1], qualification=True)

    default = jsonl(api.get("/api/exports/stream/"))
    with_gold = jsonl(api.get("/api/exports/stream/", {"include_gold": "true"}))

    exported_pairs = {r["pool_item_id"] for r in default}
    assert exported_pairs == {p.pool_item_id for p in pairs[2:]}
    assert len(default) == 12 and len(with_gold) == 18
    assert api.get("/api/exports/card/").json()["rows"] == 12
    assert api.get("/api/exports/card/", {"include_gold": "1"}).json()["rows"] == 18
    assert len(api.get("/api/comparisons/").json()["results"]) == 12


# Disagreements


def test_drop_disagreements_drops_every_judgment_of_a_split_pair(api, crowd):
    _batch, _annotators, pairs = crowd

    rows = jsonl(api.get("/api/exports/stream/", {"drop_disagreements": "true"}))

    assert {r["pool_item_id"] for r in rows} == {p.pool_item_id for p in pairs[:3]}
    assert len(rows) == 9
    first = jsonl(
        api.get("/api/exports/stream/", {"drop_disagreements": "true", "overlap": "first"})
    )
    assert len(first) == 3


def test_a_withdrawn_dissent_is_no_disagreement(api, staff, crowd):
    batch, annotators, _pairs = crowd
    comparisons_withdraw(batch=batch, actor=staff, reason="one side", annotator=annotators[2])

    rows = jsonl(api.get("/api/exports/stream/", {"drop_disagreements": "true"}))

    assert len(rows) == 12  # six pairs, two agreeing judgments each


def test_a_filter_does_not_hide_a_disagreement(api, batch):
    pair = pool_pair(batch=batch, line=1)
    pool_judge(pair=pair, annotator=UserFactory(), chosen_slot="a", strength="better")
    pool_judge(pair=pair, annotator=UserFactory(), chosen_slot="b", strength="slightly_better")

    params = {"drop_disagreements": "true", "min_strength": "better"}
    assert jsonl(api.get("/api/exports/stream/", params)) == []


# Flagged and paused annotators


def test_exclude_annotators_leaves_out_flagged_or_paused_ones_on_the_rows_batch(api, crowd):
    batch, (flagged, paused, lifted), _pairs = crowd
    flag(batch=batch, annotator=flagged, pauses=False)
    flag(batch=batch, annotator=paused, pauses=True)
    flag(batch=batch, annotator=lifted, pauses=True, lifted=True)
    elsewhere = BatchFactory(name="Elsewhere")
    judged_elsewhere = judge(batch=elsewhere, annotator=flagged)

    def annotators(**params) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in jsonl(api.get("/api/exports/stream/", {"annotator_ids": "raw", **params})):
            counts[r["annotator"]] = counts.get(r["annotator"], 0) + 1
        return counts

    assert annotators() == {flagged.pk: 7, paused.pk: 6, lifted.pk: 6}
    assert annotators(exclude_annotators="flagged") == {lifted.pk: 6, flagged.pk: 1}
    assert annotators(exclude_annotators="paused") == {flagged.pk: 7, lifted.pk: 6}
    assert annotators(exclude_annotators="") == annotators()
    by_batch = jsonl(api.get("/api/exports/stream/", {"exclude_annotators": "flagged"}))
    assert judged_elsewhere.pk in {r["id"] for r in by_batch}  # not flagged on that batch


# Weights


def test_weight_adds_each_rows_annotator_reliability_and_one_for_none_yet(api, crowd):
    batch, _annotators, _pairs = crowd
    newcomer = UserFactory(username="newcomer")
    lone = judge(batch=batch, annotator=newcomer)
    standing = annotator_standing_for(batch_ids=[batch.pk])

    rows = jsonl(api.get("/api/exports/stream/", {"weight": "true", "annotator_ids": "raw"}))

    for row in rows:
        known = standing.get(row["annotator"])
        expected = known.weight if known is not None and known.weight is not None else 1.0
        assert row["weight"] == pytest.approx(expected)
        assert 0.0 <= row["weight"] <= 1.0
    assert len(rows) == 19
    if standing.get(newcomer.pk) is None or standing[newcomer.pk].weight is None:
        assert next(r for r in rows if r["id"] == lone.pk)["weight"] == 1.0
    assert all("weight" not in r for r in jsonl(api.get("/api/exports/stream/")))


@pytest.mark.parametrize("fmt", ["trl", "trl-text", "hh", "raw"])
def test_weight_is_a_float_column_in_parquet_for_every_format(api, crowd, fmt):
    params = {"weight": "true", "format": fmt, "file_type": "parquet", "overlap": "majority"}
    table = pq.read_table(io.BytesIO(body(api.get("/api/exports/stream/", params))))
    assert str(table.schema.field("weight").type) == "double"
    assert table.num_rows == 6
    plain_params = {"format": fmt, "file_type": "parquet"}
    plain = pq.read_table(io.BytesIO(body(api.get("/api/exports/stream/", plain_params))))
    assert "weight" not in plain.schema.names


def test_weights_are_looked_up_once_not_per_row(settings, crowd):
    batch, _annotators, _pairs = crowd
    settings.EXPORT_FIRST_CHUNK_ROWS = 6
    options = ExportOptions(weight=True, batches=(batch.pk,))

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            b"".join(export_bytes(options=options, visible=Batch.objects.all(), chunk_rows=6))
        return [q["sql"] for q in captured]

    before = queries()
    for line in range(10, 22):
        pool_judge(pair=pool_pair(batch=batch, line=line), annotator=UserFactory(), chosen_slot="a")
    after = queries()

    # 12 more rows are two more keyset chunks of 6 (each its own short transaction), and
    # nothing else: the weights came from one look-up, whatever the number of rows.
    def chunks(sql: list[str]) -> int:
        return sum("LIMIT 6" in q for q in sql)

    assert chunks(after) - chunks(before) == 2
    per_chunk = (len(after) - len(before)) / 2
    assert per_chunk <= 4
    assert len(before) - chunks(before) * per_chunk == len(after) - chunks(after) * per_chunk


# The card


def test_the_card_reports_agreement_and_gold_accuracy_of_the_selection(api, crowd):
    _batch, (_first, _second, third), pairs = crowd
    gold(pairs[0], expected="a")  # all three answered a: right
    gold(pairs[3], expected="b")  # only the third answered b
    # As the queue grades judgments made while a pair is gold.
    Comparison.objects.filter(pair=pairs[0]).update(gold_correct=True)
    Comparison.objects.filter(pair=pairs[3]).update(gold_correct=False)
    Comparison.objects.filter(pair=pairs[3], annotator=third).update(gold_correct=True)

    card = api.get("/api/exports/card/", {"exclude_annotators": "flagged"}).json()

    quality = card["quality"]
    # Four exported pairs, each judged three times: pairs 2 and 3 agree, 5 and 6 split 2-1.
    assert quality["pairs_judged_twice"] == 4
    assert quality["percent_agreement"]["value"] == pytest.approx((1 + 1 + 1 / 3 + 1 / 3) / 4)
    assert quality["gwet_ac2"]["low"] <= quality["gwet_ac2"]["value"] <= 1
    assert quality["gold_accuracy"]["n"] == 6 and quality["gold_accuracy"]["correct"] == 4
    assert card["quality_control"] == {
        "withdrawn_judgments": "never exported",
        "include_gold": False,
        "drop_disagreements": False,
        "exclude_annotators": "flagged",
        "weight": False,
    }


def test_the_job_card_and_readme_carry_the_quality_figures(api, crowd):
    job = api.post(
        "/api/exports/jobs/",
        {"drop_disagreements": True, "weight": True},
        content_type="application/json",
    ).json()
    export_job_run_task(job["id"])
    done = api.get(f"/api/exports/jobs/{job['id']}/").json()
    assert done["state"] == "done", done["error"]
    assert done["card"]["quality"]["percent_agreement"]["value"] == 1.0
    assert done["options"]["weight"] is True
    readme = body(api.get(done["files"]["readme"])).decode()
    assert "## Quality control" in readme
    assert "## Agreement and gold accuracy of the selection" in readme
    assert "- Pairs whose judgments disagree on the side: dropped" in readme
    assert "| percent agreement on the side | 100.0% |" in readme
    assert "| gold accuracy | n/a | n/a | 0 judgments |" in readme


# Validation and documentation


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"exclude_annotators": "bad"}, "exclude_annotators", '"flagged"'),
        ({"weight": "heavy"}, "weight", "true or false"),
        ({"include_gold": "maybe"}, "include_gold", "true or false"),
        ({"drop_disagreements": "2"}, "drop_disagreements", "true or false"),
    ],
)
def test_bad_quality_options_are_a_400_saying_what_to_use(api, params, field, words):
    response = api.get("/api/exports/stream/", params)
    assert response.status_code == 400
    assert words in response.json()[field][0]
    posted = api.post("/api/exports/jobs/", params, content_type="application/json")
    assert posted.status_code == 400 and field in posted.json()


def test_the_schema_documents_the_quality_options(api):
    schema = " ".join(api.get("/api/schema/").content.decode().split())
    for name in ("include_gold", "drop_disagreements", "exclude_annotators", "weight"):
        assert name in schema
    assert "reliability weight" in schema
