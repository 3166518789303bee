"""Language selection: French by default, English by choice or by Accept-Language."""

from flask import request, session

LANGUAGES = ("fr", "en")


def select_locale() -> str:
    chosen = session.get("lang") if session else None
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def current_language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "fr")
