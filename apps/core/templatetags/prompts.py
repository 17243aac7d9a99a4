from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("core/_prompt_count.html")
def prompt_count() -> dict:
    """The length counter under a prompt box (static/js/compose.js keeps it up to date)."""
    return {"max_chars": settings.MAX_PROMPT_CHARS, "max_shown": f"{settings.MAX_PROMPT_CHARS:,}"}
