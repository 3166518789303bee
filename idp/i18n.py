"""Languages: French by default, English by choice (the visible switch) or by Accept-Language.

Message ids are the French text; ``idp/translations/en`` holds the English catalogue. The
switch itself is in :mod:`idp.views.language`. Dates are shown in French legal time
(Europe/Paris), the time zone of the citizens served.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from flask import request, session
from flask_babel import get_locale
from flask_babel import gettext as _

LANGUAGES = ("fr", "en")
#: Each language's name written in that language (WCAG 3.1.2: marked with its own ``lang``).
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
SESSION_LANGUAGE_KEY = "lang"


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
