"""`bench_quality`: fill one batch with judgments, then time its quality page and API.

Both are requested through the Django test client, as a browser or a script would reach them
(middleware, authentication, template or serializer included), `requests` times each after
one warm-up request; the figures are computed afresh on every request (nothing is cached).
"""

import time

import numpy as np
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from apps.accounts.services import api_token_create

from .quality_fill import quality_clean, quality_fill


def _timed(client: Client, url: str, requests: int, **headers) -> list[float]:
    response = client.get(url, **headers)  # warm-up: imports, connections, caches of code
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return times


def _summary(times: list[float]) -> dict:
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
    }


def quality_bench_run(
    *, pairs: int = 20_000, annotators: int = 200, overlap: int = 5, requests: int = 20,
    keep: bool = False,
) -> dict:  # fmt: skip
    """Fill, time the page and the API over `requests` requests each, clean up (unless
    `keep`), and return the figures as one JSON-ready dict."""
    began = time.perf_counter()
    data = quality_fill(pairs=pairs, annotators=annotators, overlap=overlap)
    fill_seconds = time.perf_counter() - began
    try:
        staff = get_user_model().objects.get(pk=data.staff_id)
        client = Client(HTTP_HOST="localhost")
        client.force_login(staff)
        page = _timed(client, reverse("quality:batch", args=[data.batch_id]), requests)
        _, key = api_token_create(user=staff, name="bench-quality", read_only=True)
        api = _timed(
            Client(HTTP_HOST="localhost"),
            reverse("quality_api:batch", args=[data.batch_id]),
            requests,
            HTTP_AUTHORIZATION=f"Token {key}",
        )
    finally:
        if not keep:
            quality_clean(data=data)
    page_summary, api_summary = _summary(page), _summary(api)
    return {
        "comparisons": data.comparisons,
        "pairs": data.pairs,
        "annotators": annotators,
        "overlap": overlap,
        "requests": requests,
        "fill_s": round(fill_seconds, 1),
        "quality_page_p50_ms": page_summary["p50_ms"],
        "quality_page_p95_ms": page_summary["p95_ms"],
        "quality_api_p50_ms": api_summary["p50_ms"],
        "quality_api_p95_ms": api_summary["p95_ms"],
        "target_ms": 1000,
        "kept_batch": data.batch_id if keep else None,
    }
