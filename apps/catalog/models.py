import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ModelVariant(models.Model):
    """One servable model: where its weights are, how to load them, how to sample by default."""

    class Backend(models.TextChoices):
        TRANSFORMERS = "transformers", "Hugging Face transformers"
        VLLM = "vllm", "vLLM (optional extra, GPU)"
        OPENAI = "openai", "OpenAI-compatible server (vLLM, SGLang, TGI, transformers serve...)"

    class SourceKind(models.TextChoices):
        LOCAL_DIR = "local_dir", "Local directory"
        HUB_ID = "hub_id", "Hub id (must already be in the local cache)"
        GGUF_FILE = "gguf_file", "GGUF file (path, or pkg:<package>/<file>)"
        SERVED_MODEL = "served_model", "Model name on an OpenAI-compatible server"

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
    source = models.CharField(
        max_length=500,
        help_text="A path, hub id or GGUF file; for an OpenAI-compatible server, its model name.",
    )
    base_url = models.CharField(
        max_length=500,
        blank=True,
        help_text="OpenAI-compatible servers only: the API root, e.g. http://gpu-1:8000/v1",
    )
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="OpenAI-compatible servers only: the NAME of the workers' environment variable "
        "that holds the API key (the key itself is never stored). Blank: no key.",
    )
    max_concurrency = models.PositiveIntegerField(
        default=8,
        help_text="OpenAI-compatible servers only: requests in flight at once per worker process.",
    )
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
            models.CheckConstraint(
                condition=~Q(backend="openai") | (~Q(base_url="") & Q(source_kind="served_model")),
                name="variant_openai_has_base_url_and_model",
            ),
            models.CheckConstraint(
                condition=Q(max_concurrency__gte=1), name="variant_max_concurrency_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.backend == self.Backend.OPENAI:
            url = urlsplit(self.base_url)
            if not self.base_url:
                errors["base_url"] = "An OpenAI-compatible server needs its base URL."
            elif url.scheme not in ("http", "https") or not url.netloc:
                errors["base_url"] = "An http:// or https:// URL, e.g. http://gpu-1:8000/v1"
            if self.source_kind != self.SourceKind.SERVED_MODEL:
                errors["source_kind"] = (
                    "An OpenAI-compatible server takes a model name: choose "
                    "'Model name on an OpenAI-compatible server'."
                )
        elif self.source_kind == self.SourceKind.SERVED_MODEL:
            errors["source_kind"] = "A served model name needs the OpenAI-compatible backend."
        if self.api_key_env and not ENV_VAR_NAME.match(self.api_key_env):
            errors["api_key_env"] = (
                "The name of an environment variable (letters, digits, underscores), not the "
                "key itself."
            )
        if self.max_concurrency is not None and self.max_concurrency < 1:
            errors["max_concurrency"] = "At least 1 request at a time."
        if errors:
            raise ValidationError(errors)
