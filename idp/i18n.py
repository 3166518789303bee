"""Languages: French by default, English by choice (the visible switch) or by Accept-Language.

Message ids are the French text; ``idp/translations/en`` holds the English catalogue. The
switch itself, and dates in the citizen's language, are in :mod:`idp.views.language`.
"""

from __future__ import annotations

from flask import request, session
from flask_babel import get_locale

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
