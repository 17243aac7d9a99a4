from django.contrib.staticfiles import finders


def test_every_page_names_an_icon_that_exists(client, db):
    page = client.get("/login/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    assert finders.find("favicon.svg")
