"""Fixtures: a real studio (`mirrorface studio` in its own process on a free loopback port) and
Debian's chromium.

The browser is the system's /usr/bin/chromium driven by Playwright (nothing downloads a browser);
the browser tests skip only when that binary is absent.
"""

from __future__ import annotations

import pytest

from .helpers import CHROMIUM, Studio, launch


@pytest.fixture(scope="session")
def studio(tmp_path_factory):
    server = Studio(tmp_path_factory.mktemp("studio"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the session (its sync API cannot be started twice in one process)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright):
    browser = launch(playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(chromium, studio):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(studio.url + "/")
    page.wait_for_selector("body[data-ready='1']")
    yield page
    context.close()
