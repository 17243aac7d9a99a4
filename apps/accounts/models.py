from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    """A bearer key for the API. Only a hash of the key is stored; the key is shown once.

    A token acts as its user, narrowed: `read_only` tokens cannot start export jobs, and a
    `scoped` token reaches only its batches. The scope is fixed when the token is made and can
    only shrink: a scoped token whose batches are all deleted reaches none (not every batch).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, help_text="The key's first characters, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=True)
    scoped = models.BooleanField(
        default=False, help_text="Limited to its batches; otherwise every batch its user may read."
    )
    batches = models.ManyToManyField("batches.Batch", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_token_has_name"),
            models.CheckConstraint(
                condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"), name="api_token_hash_is_sha256"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
