"""A citizen's browser for the federation tests: follows redirects and fills the pages of
the hub (the chooser, its sign-in form, its consent), of an upstream ``idp serve`` (its
sign-in and consent) and of panva/oidc-provider (its sign-in and logout forms)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import requests

PASSWORD = "demo-password-2026"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Citizen:
    """``login`` is the account at whichever provider asks (a username, or a panva login)."""

    def __init__(self, login: str = "marie.dupont") -> None:
        self.browser = requests.Session()
        self.login = login
        self.pages: list[requests.Response] = []

    def visit(
        self,
        url: str,
        until: Callable[[requests.Response], bool],
        choose: str | None = None,
        steps: int = 20,
    ) -> requests.Response:
        """Follow from ``url`` until ``until(response)``; ``choose`` is the provider picked on
        the hub's chooser. A page none of the rules fills is returned as it is."""
        response = self.browser.get(url, allow_redirects=False, timeout=30)
        for _ in range(steps):
            self.pages.append(response)
            if until(response):
                return response
            following = self._next(response, choose)
            if following is None:
                return response
            response = following
        raise AssertionError("too many steps")

    def _post(self, response: requests.Response, action: str, data: dict) -> requests.Response:
        """Submit a form of ``response``'s page, with the Referer a browser sends to the same
        origin (the hub's ``Referrer-Policy: same-origin``; checked on https)."""
        target = urljoin(response.url, action)
        same_origin = urlsplit(target)[:2] == urlsplit(response.url)[:2]
        headers = {"Referer": response.url} if same_origin else {}
        return self.browser.post(target, data=data, headers=headers, allow_redirects=False, timeout=30)

    def _next(self, response: requests.Response, choose: str | None) -> requests.Response | None:
        if response.status_code in (302, 303):
            return self.browser.get(
                urljoin(response.url, response.headers["Location"]), allow_redirects=False, timeout=30
            )
        html = response.text
        if response.status_code != 200:
            return None
        if "/identity-providers/" in html and "/start" in html and choose:
            action = re.search(rf'action="([^"]*/identity-providers/{choose}/start[^"]*)"', html)
            if action is None:
                return None
            return self._post(response, action.group(1).replace("&amp;", "&"), {"csrf_token": csrf(html)})
        if 'name="password"' in html:
            data = {"username": self.login, "password": PASSWORD, "csrf_token": csrf(html)}
            return self._post(response, response.url, data)
        if 'name="decision"' in html:
            return self._post(response, response.url, {"decision": "accept", "csrf_token": csrf(html)})
        if 'name="login"' in html:
            action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
            return self._post(response, action, {"login": self.login})
        if 'id="op.logoutForm"' in html:
            action = re.search(r'id="op.logoutForm"[^>]*action="([^"]+)"', html) or re.search(
                r'action="([^"]+)"[^>]*id="op.logoutForm"', html
            )
            return self._post(response, action.group(1), {**dict(HIDDEN.findall(html)), "logout": "yes"})
        return None
