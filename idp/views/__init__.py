"""The Flask adapter: blueprints named by resource. Views parse input, call a service, render.

- :mod:`.oauth`: the machine endpoints of :mod:`idp.oauth2.endpoints`, one line each.
- :mod:`.authorize`, :mod:`.login`, :mod:`.consent`, :mod:`.logout`: the citizen's way
  through an authorization; :mod:`.pending` keeps the request between those pages.
- :mod:`.account`: "Mes échanges de données"; :mod:`.language`: the language switch.
- :mod:`.discovery`: ``/.well-known``; :mod:`.api`: the registry API, ``/api/v1``.
- :mod:`.json_errors`: JSON error answers, through the protocol's renderer.
"""

from werkzeug.routing import IntegerConverter


class RowIdConverter(IntegerConverter):
    """``<row_id:...>``: a table's integer key in a URL, at most 2^31 - 1 (PostgreSQL's
    ``integer``); a longer number matches no route (404) instead of overflowing the query."""

    def __init__(self, url_map, **kwargs) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1, **kwargs)
