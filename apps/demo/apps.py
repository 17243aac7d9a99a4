from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo logins, batch and prompt pool `make run` creates (`manage.py demo_setup`)."""

    name = "apps.demo"
