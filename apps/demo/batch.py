"""The demo batch: the bundled model at a low and a high temperature."""

from django.db import transaction

from apps.batches.models import Batch, SamplingConfig, Track
from apps.batches.services import variant_default_ensure

DEMO_GUIDELINES = """\
**Helpfulness track.** Write a prompt as a real user would, then pick the response that better
fulfils the request: correct, complete, clear and honest. Then say how much better it is.

- *Significantly better*: one is clearly unusable or wrong, the other good.
- *Better* / *Slightly better*: both usable, one preferable.
- *Negligibly better / unsure*: you cannot really tell them apart.

Continue the dialogue when there is more to ask: the response you chose becomes the
assistant's turn.
"""


@transaction.atomic
def batch_demo_ensure(*, created_by=None, max_new_tokens: int = 96) -> Batch:
    """The demo batch: the default model at a low and a high temperature."""
    existing = Batch.objects.filter(name="Demo: helpfulness").first()
    if existing:
        return existing
    variant = variant_default_ensure()
    low = SamplingConfig.objects.create(
        variant=variant,
        temperature_min=0.3,
        temperature_max=0.6,
        top_p=0.9,
        max_new_tokens=max_new_tokens,
    )
    high = SamplingConfig.objects.create(
        variant=variant,
        # Wider temperatures give more diverse pairs, but a 135M model rambles above ~1.0.
        temperature_min=0.8,
        temperature_max=1.0,
        top_p=0.95,
        max_new_tokens=max_new_tokens,
    )
    return Batch.objects.create(
        name="Demo: helpfulness",
        track=Track.HELPFULNESS,
        guidelines=DEMO_GUIDELINES,
        sampling_a=low,
        sampling_b=high,
        status=Batch.Status.OPEN,
        created_by=created_by,
    )
