"""A small prompt pool for the demo batch, so `make run` shows the work queue at once."""

import json

from apps.pools.models import PoolUpload
from apps.pools.services import pool_import

DEMO_FILENAME = "demo-pool.jsonl"
DEMO_ROWS = [
    {"prompt": "Give me three tips for writing a clear bug report.", "category": "advice"},
    {"prompt": "Explain what a hash table is to a first-year student.", "category": "explain"},
    {"prompt": "Write a haiku about a rainy Monday morning.", "category": "creative"},
    {"prompt": "What is the difference between weather and climate?", "category": "explain"},
    {
        "messages": [
            {"role": "user", "content": "I want to start running. How often should I go?"},
            {
                "role": "assistant",
                "content": "Three short runs a week is a good start, with rest days between.",
            },
            {"role": "user", "content": "And how long should each run be?"},
        ],
        "category": "multi-turn",
        "metadata": {"source": "demo"},
    },
]


def pool_demo_ensure(*, batch, uploaded_by) -> PoolUpload:
    """Import the demo pool into the batch once."""
    existing = PoolUpload.objects.filter(batch=batch, filename=DEMO_FILENAME).first()
    if existing:
        return existing
    data = "\n".join(json.dumps(row) for row in DEMO_ROWS).encode()
    return pool_import(batch=batch, uploaded_by=uploaded_by, filename=DEMO_FILENAME, data=data)
