"""Languages: French by default, English by choice (the visible switch) or by Accept-Language.

Message ids are the French text; ``idp/translations/en`` holds the English catalogue.
Dates are shown in French legal time (Europe/Paris), the time zone of the citizens served.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from flask import Blueprint, abort, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from idp.views.redirects import safe_local_path

LANGUAGES = ("fr", "en")
#: Each language's name written in that language (WCAG 3.1.2: marked with its own ``lang``).
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
SESSION_LANGUAGE_KEY = "lang"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get(SESSION_LANGUAGE_KEY) if session else None
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def current_language() -> str:
    return str(get_locale() or "fr")


def _display_zone():
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:  # a system without tz data: show UTC rather than fail
        return ZoneInfo("UTC")


@bp.app_template_filter("local_datetime")
def local_datetime(value: datetime | None) -> str:
    """``12 avril 2026 à 14:32`` / ``April 12, 2026 at 14:32`` in Paris time."""
    if value is None:
        return ""
    local = value.astimezone(_display_zone())
    locale = current_language()
    return _("%(date)s à %(time)s") % {
        "date": format_date(local, "long", locale=locale),
        "time": format_time(local, "HH:mm", locale=locale),
    }


def _current_page() -> str:
    """Where the switch should bring the citizen back: this page, re-read with GET."""
    if request.method == "GET" and request.query_string:
        return request.full_path
    return request.path


@bp.app_context_processor
def language_switch() -> dict:
    """Links to the other languages, shown in every page's header."""
    here = current_language()
    links = [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "url": url_for("i18n.switch", code=code, next=_current_page()),
        }
        for code in LANGUAGES
        if code != here
    ]
    return {"language_links": links}


@bp.get("/lang/<code>")
def switch(code: str):
    """Remember the chosen language and go back to the page (local paths only)."""
    if code not in LANGUAGES:
        abort(404)
    session[SESSION_LANGUAGE_KEY] = code
    return redirect(safe_local_path(request.args.get("next")) or url_for("login.login"), code=303)
