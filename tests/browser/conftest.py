"""Browser fixtures: Debian's Chromium driven by Playwright against a real ``idp serve``.

- ``idp_server``: the demo of ``make run`` for the whole session: an ``idp serve --workers 1``
  on a loopback port seeded with the demo (``tests/e2e_server.start_server``), with a second
  one as its second identity provider.
- ``citizen``: a fresh citizen per test (``idp users create``), so that consents of one test
  never change what another sees.
- ``page``: a new browser context per test (French browser, no cookies); any Content Security
  Policy violation reported in the console fails the test.
- ``audit(page, name)``: axe-core (from npm, ``make install-dev``) plus the page-structure
  rules axe cannot decide; fails on serious or critical violations. It also saves a
  screenshot named ``name``: into ``tests/browser/screenshots/`` when
  ``IDP_UPDATE_SCREENSHOTS=1`` (the committed pictures the README shows), else into the
  test's temporary directory, so that a test run leaves the working tree clean.

The browser is never downloaded (no ``playwright install``): ``/usr/bin/chromium`` comes from
``apt-get install chromium`` (``make system-deps``).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e_server import start_server

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-test-password-2026"
#: axe impacts that fail a test (minor and moderate ones are reported by axe but tolerated).
FAILING_IMPACTS = ("serious", "critical")



@pytest.fixture(scope="session")
def browser():
    missing = [str(path) for path in (CHROMIUM, AXE_SCRIPT) if not path.exists()]
    if missing:
        pytest.fail(f"browser tests need {', '.join(missing)}: run `make install-dev`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def idp_server(tmp_path_factory):
    """The demo as ``make run`` sets it up: the hub, and a second idp as its second identity
    provider (on ``localhost``, the hub on ``127.0.0.1``)."""
    server = start_server(tmp_path_factory.mktemp("browser-idp"), workers=1)
    upstream = None
    try:
        upstream = start_server(
            tmp_path_factory.mktemp("browser-upstream"),
            workers=1,
            seed_options=("--upstream-of", server.url),
            issuer_host="localhost",
        )
        server.idp("seed-demo", "--upstream", upstream.url)
        yield server
    finally:
        if upstream is not None:
            upstream.stop()
        server.stop()


@dataclass(frozen=True)
class Citizen:
    username: str
    password: str
    display_name: str


_citizen_numbers = itertools.count(1)


@pytest.fixture
def citizen(idp_server) -> Citizen:
    number = next(_citizen_numbers)
    username = f"citoyen{number}.{os.getpid()}"
    idp_server.idp(
        "users", "create",
        "--username", username,
        "--password", PASSWORD,
        "--given-name", "Louise Marie",
        "--family-name", "Lefèvre",
        "--birthdate", "1979-06-21",
        "--gender", "female",
        "--birthplace", f"33{number:03d}",  # one person per test: citizens are their identity
        "--birthcountry", "99100",
        "--email", f"{username}@example.fr",
    )  # fmt: skip
    return Citizen(username, PASSWORD, "Louise Marie Lefèvre")


@pytest.fixture
def page(browser, idp_server):
    context = browser.new_context(
        base_url=idp_server.url, locale="fr-FR", viewport={"width": 1024, "height": 800}
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: csp_violations.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    yield page
    context.close()
    assert csp_violations == [], "the pages must work under their own CSP"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    if os.environ.get("IDP_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def _structure_problems(page) -> list[str]:
    """WCAG checks axe reports only as best practices: one h1, landmarks, a language."""
    facts = page.evaluate(
        """() => ({
            lang: document.documentElement.getAttribute('lang'),
            h1: document.querySelectorAll('h1').length,
            header: document.querySelectorAll('body > header, [role=banner]').length,
            main: document.querySelectorAll('main, [role=main]').length,
            footer: document.querySelectorAll('body > footer, [role=contentinfo]').length,
            unlabelled: [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                .map(el => el.name),
        })"""
    )
    problems = []
    if facts["lang"] not in ("fr", "en"):
        problems.append(f"html lang is {facts['lang']!r}")
    for landmark in ("h1", "header", "main", "footer"):
        if facts[landmark] != 1:
            problems.append(f"{facts[landmark]} {landmark} elements (expected exactly one)")
    if facts["unlabelled"]:
        problems.append(f"inputs without a label: {facts['unlabelled']}")
    return problems


def _axe_violations(page) -> list[str]:
    # page.evaluate is not subject to the page's CSP (a <script> tag would be blocked).
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
                                            'best-practice']},
            resultTypes: ['violations'],
        })"""
    )
    return [
        f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in result["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


@pytest.fixture
def audit(screenshot_dir):
    """``audit(page, name)``: screenshot, then fail on accessibility problems of the page."""

    def run(page, name: str) -> None:
        page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)
        problems = _axe_violations(page) + _structure_problems(page)
        assert problems == [], f"accessibility problems on {name} ({page.url}):\n" + "\n".join(problems)

    return run
