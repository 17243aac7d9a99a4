from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--batch", type=int, action="append", help="limit to this batch id")
        parser.add_argument("--write", action="store_true", help="may start export jobs")

    def handle(self, *args, user: str, name: str, batch, write: bool, **options):
        try:
            owner = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {user!r}.") from exc
        try:
            _, key = api_token_create(user=owner, name=name, read_only=not write, batch_ids=batch)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        self.stdout.write(key)
