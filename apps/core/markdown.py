"""Model responses as sanitised Markdown: the one renderer every page and live update uses.

The model's text is untrusted. Raw HTML in it is shown as text (never parsed as markup), and
the HTML that Markdown produces goes through nh3 with a strict allowlist: no images, no
attributes but link targets, links only to http, https and mailto, never followed.
"""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension

_TAGS = {
    "p", "br", "hr", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel="noopener noreferrer nofollow",
)


class _EscapeRawHtml(Extension):
    """Python-Markdown's documented way to show raw HTML as text (its safe mode is gone)."""

    def extendMarkdown(self, md) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def markdown_render(text: str) -> SafeString:
    """Sanitised HTML for a model response written in Markdown (code, lists, emphasis...).

    Single line breaks are kept: models write poems and addresses line by line.
    """
    html = markdown.markdown(
        text or "", extensions=[_EscapeRawHtml(), "fenced_code", "tables", "sane_lists", "nl2br"]
    )
    return mark_safe(_CLEANER.clean(html))
