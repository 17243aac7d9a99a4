from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The `bench_*` commands and what they measure; apart from the domain apps."""

    name = "benchmarks"
