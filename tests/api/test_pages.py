"""The page at / (api/pages.py): what index.html links is served, so a browser logs no failed load."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from config import Settings


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    app: Flask = create_app(settings)
    return app.test_client()


def test_every_file_the_page_links_is_served_and_it_names_its_icon(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Without <link rel="icon"> a browser asks for /favicon.ico, a 404 in every console.
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert icon is not None, "index.html names no icon"
    links = re.findall(r'(?:href|src)="(/[^"]*)"', html)
    assert icon.group(1) in links and len(links) >= 4
    for path in links:
        r = client.get(path)
        assert r.status_code == 200, f"{path} answered {r.status_code}"
        assert r.data, f"{path} is empty"
