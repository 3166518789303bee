"""Debian's nginx in front of the instances, with the configuration that ships:
``deploy/nginx/idp.conf``, its placeholders filled in (loopback ports, a throwaway
certificate), included in a small main configuration of the test's own (prefix, pid and
logs in a temporary folder, in the foreground)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.e2e_server import free_port

NGINX = "/usr/sbin/nginx"
DEPLOY = Path(__file__).parents[2] / "deploy"
SITE = DEPLOY / "nginx" / "idp.conf"
PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")

MAIN = """\
{user}
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    # Which instance answered (several when a failed connection was retried), for the tests.
    log_format upstreams '$upstream_addr $status $request_method $uri';
    access_log {prefix}/access.log upstreams;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/idp.conf;
}}
"""


@dataclass
class Certificates:
    authority: Path  # the throwaway CA that clients trust
    certificate: Path  # the server's, for localhost and 127.0.0.1
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> Certificates:
    """A CA, and a server certificate it signs for ``localhost`` and ``127.0.0.1``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("idp test CA"))
        .issuer_name(_name("idp test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths.authority.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def render_site(values: dict[str, str]) -> str:
    """``deploy/nginx/idp.conf`` with its placeholders replaced, as the envsubst of its header
    does; every placeholder must be given, and nothing else."""
    text = SITE.read_text()
    used = set(PLACEHOLDER.findall(text))
    if used != set(values):
        raise AssertionError(f"placeholders of {SITE}: {sorted(used)}, given: {sorted(values)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


@dataclass
class Nginx:
    prefix: Path
    https_port: int
    http_port: int
    certificates: Certificates
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def error_log(self) -> str:
        return (self.prefix / "error.log").read_text()

    def access_log(self) -> list[tuple[list[str], int, str, str]]:
        """Each request: the instances tried (``host:port``), the status, method and path."""
        entries = []
        for line in (self.prefix / "access.log").read_text().splitlines():
            upstreams, status, method, path = line.rsplit(" ", 3)
            entries.append((upstreams.split(", "), int(status), method, path))
        return entries

    def command(self, *extra: str) -> list[str]:
        return [NGINX, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"),
                "-e", str(self.prefix / "error.log"), *extra]  # fmt: skip

    def start(self) -> None:
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited:\n{self.error_log}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"nginx did not start:\n{self.error_log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def configure_nginx(
    directory: Path, upstreams: list[str], certificates: Certificates, https_port: int | None = None
) -> Nginx:
    """Write nginx's configuration for two upstream instances (``host:port``); not started."""
    if not Path(NGINX).exists():
        raise AssertionError("the reverse-proxy tests need Debian's nginx: run `make install-dev`")
    prefix = directory / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)  # nginx -t opens the compiled-in log path
    proxy = Nginx(prefix, https_port or free_port(), free_port(), certificates)
    site = render_site(
        {
            "IDP_SERVER_NAME": "localhost",
            "IDP_HTTPS_LISTEN": f"127.0.0.1:{proxy.https_port}",
            "IDP_HTTP_LISTEN": f"127.0.0.1:{proxy.http_port}",
            "IDP_TLS_CERTIFICATE": str(certificates.certificate),
            "IDP_TLS_KEY": str(certificates.key),
            "IDP_UPSTREAM_A": upstreams[0],
            "IDP_UPSTREAM_B": upstreams[1],
        }
    )
    (prefix / "idp.conf").write_text(site)
    # As root, nginx's workers would run as nobody, who cannot enter pytest's private folders.
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(MAIN.format(prefix=prefix, user=user))
    return proxy
