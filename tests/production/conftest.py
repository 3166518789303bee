"""Fixtures of the production tests: a PostgreSQL database of their own per module (the
instances run ``idp db upgrade`` on it, as a deployment does), and the whole deployment:
Debian's nginx with ``deploy/nginx/idp.conf`` in front of two ``idp serve``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests import databases
from tests.e2e_server import LiveServer, free_port
from tests.production.instances import start_instances, stop_all
from tests.production.proxy import Certificates, Nginx, configure_nginx, make_certificates


@pytest.fixture(scope="module")
def shared_database(postgres_server) -> Iterator[str]:
    """An empty PostgreSQL database for this module's instances; dropped afterwards."""
    name = databases.next_name()
    url = databases.create_database(postgres_server, name)
    yield url
    databases.drop_database(postgres_server, name)


@pytest.fixture(scope="module")
def a(instances):
    """The first of the module's ``instances`` (a fixture of the module's own)."""
    return instances[0]


@pytest.fixture(scope="module")
def b(instances):
    return instances[1]


class SourceAddressAdapter(HTTPAdapter):
    """Connections from one local address (127.0.0.2 is another client than 127.0.0.1)."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


@dataclass
class Deployment:
    """nginx (TLS, on ``url``) in front of two instances on one database."""

    proxy: Nginx
    instances: list[LiveServer]
    certificates: Certificates

    @property
    def url(self) -> str:
        return self.proxy.url

    def browser(self, source: str | None = None) -> requests.Session:
        """A client that trusts the test CA; ``source``: the loopback address it connects from."""
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would win over the session's CA
        session.verify = str(self.certificates.authority)
        if source:
            session.mount("https://", SourceAddressAdapter(source))
        return session


@pytest.fixture(scope="module")
def deployment_settings() -> dict:
    """Override in a test module: more IDP_* settings for the instances behind nginx."""
    return {}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_database, deployment_settings) -> Iterator[Deployment]:
    """The issuer is nginx's https URL; the instances trust one proxy hop."""
    directory = tmp_path_factory.mktemp("deployment")
    certificates = make_certificates(directory / "tls")
    https_port = free_port()
    instances = start_instances(
        directory,
        shared_database,
        issuer=f"https://localhost:{https_port}",
        env={"IDP_TRUSTED_PROXIES": "1", **deployment_settings},
    )
    try:
        upstreams = [server.url.removeprefix("http://") for server in instances]
        proxy = configure_nginx(directory, upstreams, certificates, https_port=https_port)
        proxy.start()
        try:
            yield Deployment(proxy, instances, certificates)
        finally:
            proxy.stop()
    finally:
        stop_all(instances)
