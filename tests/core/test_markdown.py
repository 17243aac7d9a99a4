"""Model responses as sanitised Markdown: formatting survives, nothing active does."""

from django.template import Context, Template

from apps.core.markdown import markdown_render


def test_it_renders_code_blocks_lists_and_emphasis():
    html = markdown_render(
        "Some *emphasis* and **bold**.\n\n```python\nprint('hi')\n```\n\n- one\n- two"
    )
    assert "<em>emphasis</em>" in html and "<strong>bold</strong>" in html
    assert (
        "<pre><code>print(&#x27;hi&#x27;)\n</code></pre>" in html
        or "<pre><code>print('hi')\n</code></pre>" in html
    )
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html


def test_it_keeps_single_line_breaks():
    assert (
        markdown_render("An old pond\na frog jumps in") == "<p>An old pond<br>\na frog jumps in</p>"
    )


def test_raw_html_from_the_model_is_shown_as_text():
    html = markdown_render('<script>alert(1)</script> <img src=x onerror="alert(2)"> <b>b</b>')
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html


def test_a_raw_html_block_is_shown_as_text():
    html = markdown_render('<div style="position:fixed" onclick="x()">\nhi\n</div>')
    assert "<div" not in html and "&lt;div style=" in html


def test_links_are_only_http_https_and_mailto_and_never_followed():
    html = markdown_render(
        "[a](https://example.org/x) [b](javascript:alert(1)) [c](mailto:me@example.org) "
        "[d](/admin/) [e](data:text/html,hi) <https://example.com>"
    )
    assert '<a href="https://example.org/x" rel="noopener noreferrer nofollow">a</a>' in html
    assert '<a href="mailto:me@example.org" rel="noopener noreferrer nofollow">c</a>' in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">' in html
    assert "javascript" not in html and "/admin/" not in html and "data:" not in html


def test_images_and_inline_styles_never_survive():
    html = markdown_render("![cat](https://example.org/cat.png)\n\n| a |\n|:-:|\n| 1 |")
    assert "<img" not in html
    assert "style" not in html
    assert "<table>" in html


def test_the_template_filter_marks_the_sanitised_html_safe():
    template = Template("{% load responses %}{{ text|response_html }}")
    html = template.render(Context({"text": "*hi* <script>"}))
    assert html == "<p><em>hi</em> &lt;script&gt;</p>"
