from django.contrib.staticfiles import finders


def test_every_page_names_an_icon_that_exists(client, db):
    page = client.get("/login/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    assert finders.find("favicon.svg")


def test_favicon_ico_leads_browsers_to_the_icon(client, db):
    response = client.get("/favicon.ico", follow=True)

    assert response.redirect_chain[0][1] == 301
    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)
