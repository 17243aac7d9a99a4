"""Delete export job files older than EXPORT_RETENTION_DAYS (Celery beat does it hourly)."""

from django.core.management.base import BaseCommand

from apps.exports.services import export_jobs_expire


class Command(BaseCommand):
    help = "Delete the files of export jobs that ended more than EXPORT_RETENTION_DAYS ago."

    def handle(self, *args, **options):
        expired = export_jobs_expire()
        self.stdout.write(f"{expired} export job(s) expired.")
