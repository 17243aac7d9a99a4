from django.db import models


class WorkerHeartbeat(models.Model):
    """A generation worker process, as last reported by itself."""

    name = models.CharField(max_length=255, unique=True, help_text="host:pid")
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    queues = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=50, blank=True)
    variants = models.JSONField(default=list)
    samples_done = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.name


class EndpointHealth(models.Model):
    """An OpenAI-compatible server as last probed by a worker (GET {base_url}/models)."""

    base_url = models.CharField(max_length=500, unique=True)
    variants = models.JSONField(default=list, help_text="Active variants served from it")
    ok = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    checked_by = models.CharField(max_length=255, blank=True, help_text="worker host:pid")
    last_seen = models.DateTimeField(help_text="When it was last probed")

    class Meta:
        ordering = ["base_url"]
        verbose_name_plural = "endpoint health"

    def __str__(self) -> str:
        return self.base_url
