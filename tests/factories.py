import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.batches.models import Batch, SamplingConfig, Track
from apps.catalog.models import ModelVariant
from apps.dialogues.models import Dialogue, Turn
from apps.pairs.models import Pair, Sample
from apps.pairs.services import PairSpec, pair_create
from apps.pools.models import PoolItem, PoolUpload


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"annotator{n}")
    password = factory.django.Password("pw-for-tests")


class ModelVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVariant
        django_get_or_create = ["name"]

    name = "SmolLM2-135M-Instruct"
    source_kind = ModelVariant.SourceKind.GGUF_FILE
    source = settings.DEFAULT_MODEL_SOURCE


class SamplingConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SamplingConfig

    variant = factory.SubFactory(ModelVariantFactory)
    temperature_min = 0.5
    temperature_max = 0.5
    top_p = 0.9
    max_new_tokens = 8


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    name = factory.Sequence(lambda n: f"Batch {n}")
    track = Track.HELPFULNESS
    guidelines = "Pick the more helpful response."
    sampling_a = factory.SubFactory(SamplingConfigFactory, temperature_min=0.3, temperature_max=0.3)
    sampling_b = factory.SubFactory(SamplingConfigFactory, temperature_min=1.0, temperature_max=1.0)
    status = Batch.Status.OPEN
    max_turns = 3


class DialogueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dialogue

    batch = factory.SubFactory(BatchFactory)
    annotator = factory.SubFactory(UserFactory)


def pair_ready(
    *,
    dialogue: Dialogue,
    prompt: str = "Hello?",
    texts=("Left-ish", "Right-ish"),
    left_slot: str = "a",
) -> Pair:
    """A pair of the dialogue whose two samples are already generated (no model involved)."""
    index = dialogue.turns.count()
    turn = Turn.objects.create(dialogue=dialogue, index=index, role="user", text=prompt)
    context = [t.as_message() for t in dialogue.turns.all()]
    spec = PairSpec(context=context, dialogue=dialogue, user_turn=turn, left_slot=left_slot)
    pair = pair_create(batch=dialogue.batch, spec=spec, enqueue=False)
    return samples_finish(pair, texts)


def pool_pair_ready(
    batch: Batch,
    *,
    prompt: str = "Hello?",
    texts=("Response A", "Response B"),
    context: list[dict[str, str]] | None = None,
    left_slot: str = "a",
) -> Pair:
    """A prompt-pool pair with both samples generated and `batch.overlap` free judgment slots.

    `context` (chat messages ending with a user message) overrides `prompt` for multi-turn
    contexts. Each call adds one line to the batch's test upload.
    """
    messages = context if context is not None else [{"role": "user", "content": prompt}]
    upload, _ = PoolUpload.objects.get_or_create(
        batch=batch,
        filename="factory-pool.jsonl",
        defaults={"file_format": PoolUpload.Format.JSONL, "rows": 0},
    )
    line_number = upload.items.count() + 1
    PoolUpload.objects.filter(pk=upload.pk).update(rows=line_number)
    item = PoolItem.objects.create(
        batch=batch, upload=upload, line_number=line_number, context=messages
    )
    spec = PairSpec(context=messages, pool_item=item, left_slot=left_slot)
    pair = pair_create(batch=batch, spec=spec, judgments=batch.overlap, enqueue=False)
    return samples_finish(pair, texts)


def samples_finish(pair: Pair, texts=("Response A", "Response B")) -> Pair:
    """Mark a pair's pending samples as generated, as a worker would."""
    for slot, text in zip(("a", "b"), texts, strict=True):
        Sample.objects.filter(pair=pair, slot=slot).update(
            status="done", text=text, prompt_tokens=5, completion_tokens=3
        )
    pair.ready_at = timezone.now()
    Pair.objects.filter(pk=pair.pk).update(ready_at=pair.ready_at)
    return pair
