"""The language switch in every page's header, and dates in the citizen's language.

Dates are shown in French legal time (Europe/Paris), the time zone of the citizens served.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from flask import Blueprint, abort, redirect, request, session, url_for
from flask_babel import gettext as _

from idp.i18n import LANGUAGE_NAMES, LANGUAGES, SESSION_LANGUAGE_KEY, current_language
from idp.views.redirects import safe_local_path

bp = Blueprint("i18n", __name__)


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
    return redirect(
        safe_local_path(request.args.get("next")) or url_for("home.index"), code=303
    )
