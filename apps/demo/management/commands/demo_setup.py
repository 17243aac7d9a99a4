from django.core.management.base import BaseCommand

from apps.accounts.services import user_ensure
from apps.demo.batch import batch_demo_ensure
from apps.demo.pool import pool_demo_ensure

DEMO_ACCOUNTS = [("admin", "admin-pairwise", True), ("annotator", "annotator-pairwise", False)]


class Command(BaseCommand):
    help = "Create the demo admin, annotator, batch and prompt pool (safe to run again)."

    def handle(self, *args, **options):
        admin = None
        for username, password, is_staff in DEMO_ACCOUNTS:
            user, created = user_ensure(username=username, password=password, is_staff=is_staff)
            admin = admin or user
            state = "created" if created else "exists"
            role = "admin" if is_staff else "annotator"
            self.stdout.write(f"  {role:9} {username} / {password} ({state})")
        batch = batch_demo_ensure(created_by=admin)
        upload = pool_demo_ensure(batch=batch, uploaded_by=admin)
        self.stdout.write(f"  demo batch: {batch.name} (#{batch.pk}), pool of {upload.rows}")
