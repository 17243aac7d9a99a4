from django.db import models
from django.db.models import Q


class ModelVariant(models.Model):
    """One servable model: where its weights are, how to load them, how to sample by default."""

    class Backend(models.TextChoices):
        TRANSFORMERS = "transformers", "Hugging Face transformers"
        VLLM = "vllm", "vLLM (optional extra, GPU)"

    class SourceKind(models.TextChoices):
        LOCAL_DIR = "local_dir", "Local directory"
        HUB_ID = "hub_id", "Hub id (must already be in the local cache)"
        GGUF_FILE = "gguf_file", "GGUF file (path, or pkg:<package>/<file>)"

    class Dtype(models.TextChoices):
        AUTO = "auto", "auto (bf16 on CUDA, float32 on CPU)"
        FLOAT32 = "float32", "float32"
        BFLOAT16 = "bfloat16", "bfloat16"
        FLOAT16 = "float16", "float16"

    class Device(models.TextChoices):
        AUTO = "auto", "auto (CUDA when available)"
        CPU = "cpu", "cpu"
        CUDA = "cuda", "cuda"

    name = models.CharField(max_length=100, unique=True)
    backend = models.CharField(max_length=20, choices=Backend.choices, default=Backend.TRANSFORMERS)
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    source = models.CharField(max_length=500)
    dtype = models.CharField(max_length=10, choices=Dtype.choices, default=Dtype.AUTO)
    device = models.CharField(max_length=10, choices=Device.choices, default=Device.AUTO)
    system_prompt = models.TextField(blank=True)
    default_temperature = models.FloatField(default=0.7)
    default_top_p = models.FloatField(default=0.9)
    default_max_new_tokens = models.PositiveIntegerField(default=256)
    context_window = models.PositiveIntegerField(default=2048)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_temperature__gte=0) & Q(default_temperature__lte=5),
                name="variant_temperature_range",
            ),
            models.CheckConstraint(
                condition=Q(default_top_p__gt=0) & Q(default_top_p__lte=1),
                name="variant_top_p_range",
            ),
            models.CheckConstraint(
                condition=Q(default_max_new_tokens__gte=1), name="variant_max_new_tokens_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name
