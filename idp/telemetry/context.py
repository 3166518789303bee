"""The request being served, as the logs and the metrics see it.

One :class:`Observation` per request, made by the middleware in front of both adapters
(:mod:`idp.observability.requests`) and held in a :class:`contextvars.ContextVar`, so that
whoever learns something about the request (the adapter its route, client authentication
its client) notes it with one call, whichever adapter serves it, and every log line written
meanwhile carries the request id (:class:`idp.telemetry.logs.RequestFields`).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Observation:
    """What is known of the request so far; ``route`` is the URL rule (bounded), never the
    raw path."""

    request_id: str
    method: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    route: str | None = None
    client_id: str | None = None


current: ContextVar[Observation | None] = ContextVar("idp_observation", default=None)


def note_route(route: str | None) -> None:
    """The URL rule that answered (``/identity-providers/<name>/callback``), or None: none."""
    observation = current.get()
    if observation is not None:
        observation.route = route


def note_client(client_id: str | None) -> None:
    """The client the request is from, once it is known (authenticated, or registered)."""
    observation = current.get()
    if observation is not None:
        observation.client_id = client_id


def request_id() -> str | None:
    observation = current.get()
    return observation.request_id if observation is not None else None
