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
