import markdown
import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
}


@register.filter
def render_guidelines(text: str) -> str:
    """Markdown guidelines as HTML, sanitised: guidelines are untrusted input too."""
    html = markdown.markdown(text or "", extensions=["tables"])
    return mark_safe(nh3.clean(html, tags=_ALLOWED_TAGS, url_schemes={"http", "https", "mailto"}))
