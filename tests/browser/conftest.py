"""Playwright fixtures: one Chromium per test session, a fresh context and page per test, the app
served by the live server with the demo loaded (the `app` fixture of tests/conftest.py)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import SIGNED_IN_AS_VIEWER

# The sync Playwright API runs an event loop in the test thread; Django would refuse its ORM there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "vendor" / "axe-4.14.1.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, app):
    """Opens pages in fresh contexts; fails the test if a page breaks the content security policy,
    throws or misses one of its files. `bypass_csp` is for injecting axe-core, which Playwright adds
    as an inline script."""
    contexts, problems = [], []

    def open_page(bypass_csp=False):
        context = browser.new_context(
            viewport=VIEWPORT,
            base_url=app.url,
            timezone_id="Europe/Oslo",
            bypass_csp=bypass_csp,
            # Signed in as the SSO proxy would say (the app fixture runs AUTH_MODE=proxy).
            extra_http_headers=SIGNED_IN_AS_VIEWER,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and problems.append(message.text),
        )
        # A style sheet, script or image that does not load (pages and htmx calls may answer 4xx).
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and response.request.resource_type not in ("document", "xhr", "fetch")
                and problems.append(f"{response.status} for {response.url}")
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems


@pytest.fixture
def page(new_page):
    return new_page()


def serious_accessibility_violations(page) -> list[str]:
    """The axe-core violations of impact serious or critical on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run()")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page, name: str, at: str | None = None) -> None:
    """A README screenshot, taken at the standard viewport so they stay alike: from the top of the page,
    or from the element `at` (a CSS selector) when what it shows is further down. Only with
    UPDATE_SCREENSHOTS=1, so a test run leaves docs/screenshots as they are."""
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(VIEWPORT)
    page.evaluate("window.scrollTo(0, 0)")
    if at:
        page.locator(at).evaluate("element => element.scrollIntoView()")
    page.screenshot(path=str(SCREENSHOTS / name), full_page=False)
