import pytest

from benchmarks.export import export_measure
from benchmarks.export_fill import bench_clean, bench_fill


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres("the fill copies rows in with COPY")
def test_the_measurement_reports_every_figure():
    data = bench_fill(rows=300, response_chars=40)
    result = export_measure(batch_ids=data.batch_ids)
    for key in ("jsonl_rows_per_s", "parquet_rows_per_s", "raw_driver_rows_per_s", "peak_rss_mb"):
        assert result[key] > 0
    assert result["jsonl_mb"] > 0.9 * result["raw_driver_mb"]
    bench_clean(data=data)
