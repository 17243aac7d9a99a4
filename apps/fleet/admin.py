from django.contrib import admin

from .models import EndpointHealth, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "device", "queues", "samples_done", "last_seen", "stopped_at"]


@admin.register(EndpointHealth)
class EndpointHealthAdmin(admin.ModelAdmin):
    list_display = ["base_url", "ok", "latency_ms", "last_seen", "checked_by"]
