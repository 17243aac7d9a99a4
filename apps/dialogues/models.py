from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact


class Dialogue(models.Model):
    """A multi-turn conversation an annotator carries on within one batch."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FINISHED = "finished", "Finished"

    batch = models.ForeignKey("batches.Batch", on_delete=models.PROTECT, related_name="dialogues")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dialogues"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Dialogue {self.pk} ({self.batch})"


class Turn(models.Model):
    """One message of a dialogue. User turns sit at even indexes, assistant turns at odd ones."""

    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    dialogue = models.ForeignKey(Dialogue, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()
    source_sample = models.OneToOneField(
        "pairs.Sample", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dialogue", "index"]
        constraints = [
            models.UniqueConstraint(fields=["dialogue", "index"], name="turn_unique_index"),
            models.CheckConstraint(
                condition=(Q(role="user") & Exact(Mod("index", 2), 0))
                | (Q(role="assistant") & Exact(Mod("index", 2), 1)),
                name="turn_roles_alternate",
            ),
            models.CheckConstraint(
                condition=Q(role="user") | Q(source_sample__isnull=False),
                name="turn_assistant_comes_from_a_sample",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} turn {self.index} of dialogue {self.dialogue_id}"

    def as_message(self) -> dict[str, str]:
        return {"role": self.role, "content": self.text}
