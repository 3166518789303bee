"""Extensions, created unbound and bound to each app in ``create_app`` (Flask tutorial style)."""

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Deterministic constraint names keep Alembic migrations portable across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()

T = TypeVar("T")


def per_app(key: str, factory: Callable[[Flask], T]) -> T:
    """The current application's one ``key`` object (a process-wide cache), made on first use.

    Read on the hot paths at every request: one ``current_app`` lookup, and nothing built
    unless it is missing (``setdefault`` keeps the first one if two threads race).
    """
    app = current_app._get_current_object()
    found = app.extensions.get(key)
    if found is None:
        found = app.extensions.setdefault(key, factory(app))
    return found
