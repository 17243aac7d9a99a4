from django import template
from django.utils.safestring import SafeString

from apps.core.markdown import markdown_render

register = template.Library()


@register.filter
def response_html(text: str) -> SafeString:
    """A model response as sanitised Markdown (see apps.core.markdown)."""
    return markdown_render(text)
