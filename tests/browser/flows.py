"""What a citizen does in the browser, step by step, and what the registry says they should see."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from idp.demo.views import DEMO_SCOPE
from idp.registry.transfer import BUNDLED_REGISTRY as REGISTRY_FILE
from scopes import consent_groups, parse_registry_document

DEMO_SERVICE = "Démonstration — service en ligne"
GROUP_HEADINGS = {"fr": "Informations récupérées depuis : {}", "en": "Information from {}"}


def expected_consent(lang: str) -> list[tuple[str, list[str]]]:
    """The consent screen of the demo's scopes, computed from the registry file it was seeded with."""
    registry = parse_registry_document(json.loads(REGISTRY_FILE.read_text(encoding="utf-8")))
    return [
        (GROUP_HEADINGS[lang].format(group.provider_label), list(group.labels))
        for group in consent_groups(registry, DEMO_SCOPE.split(), lang)
    ]


def shown_consent(page: Page) -> list[tuple[str, list[str]]]:
    return [
        (
            section.get_by_role("heading", level=2).inner_text().strip(),
            [item.strip() for item in section.get_by_role("listitem").all_inner_texts()],
        )
        for section in page.locator("section.data-group").all()
    ]


def start_demo(page: Page, button: str = "Se connecter avec idp") -> None:
    page.goto("/demo/")
    page.get_by_role("button", name=button).click()


LOCAL_ACCOUNT = "Identifiant et mot de passe"
SECOND_ACCOUNT = "Compte de démonstration (second idp)"


def choose(page: Page, account: str = LOCAL_ACCOUNT, button: str = "Se connecter avec {}") -> None:
    """Pick ``account`` on the chooser."""
    expect(page).to_have_url(re.compile(r"/identity-providers(\?|$)"))
    page.get_by_role("button", name=button.format(account)).click()


def sign_in(page: Page, citizen, button: str = "Se connecter", username_label: str = "Identifiant",
            password_label: str = "Mot de passe", password: str | None = None) -> None:  # fmt: skip
    page.get_by_label(username_label).fill(citizen.username)
    page.get_by_label(password_label).fill(password or citizen.password)
    page.get_by_role("button", name=button, exact=True).click()


def demo_claims(page: Page) -> dict:
    expect(page.locator("#id-token-claims")).to_be_visible()
    return json.loads(page.locator("#id-token-claims").inner_text())


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches ``selector`` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def focus_is_visible(page: Page) -> bool:
    """The focused element draws an outline of at least 2px (WCAG 2.4.7, 2.4.11)."""
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        }"""
    )
