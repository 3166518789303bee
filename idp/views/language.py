"""The language switch in every page's header, and the ``local_datetime`` filter
(:func:`idp.i18n.local_datetime`)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, session, url_for

from idp.i18n import LANGUAGE_NAMES, LANGUAGES, SESSION_LANGUAGE_KEY, current_language, local_datetime
from idp.views.redirects import safe_local_path

bp = Blueprint("i18n", __name__)
bp.add_app_template_filter(local_datetime, "local_datetime")


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
    return redirect(safe_local_path(request.args.get("next")) or url_for("home.index"), code=303)
