"""The example deployment files that ship in deploy/: the systemd units pass
``systemd-analyze verify`` and are hardened; the nginx configuration is valid for Debian's
nginx and bounds bodies as idp does."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from idp.config import DEFAULTS
from idp.datapass.views import MAX_DELIVERY_BYTES
from tests.production.proxy import DEPLOY, SITE, configure_nginx, make_certificates

UNITS = ("idp.service", "idp-purge.service", "idp-purge.timer")
#: Where the units expect idp (README, "Production": a virtual environment in /opt/idp).
INSTALLED_IDP = "/opt/idp/bin/idp"


def verify(directory: Path) -> subprocess.CompletedProcess:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("the unit check needs systemd-analyze: run `make install-dev`")
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{unit}" for unit in UNITS)],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
    )


def installed_copy(tmp_path: Path, change=lambda name, text: text) -> Path:
    """The units as installed, with this checkout's idp where they expect /opt/idp's
    (verify checks that ExecStart's program exists)."""
    idp = str(Path(sys.executable).with_name("idp"))
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        assert unit.endswith(".timer") or INSTALLED_IDP in text
        (tmp_path / unit).write_text(change(unit, text.replace(INSTALLED_IDP, idp)))
    return tmp_path


def service_section(unit: str) -> dict[str, list[str]]:
    """``Section.Key`` → its values, in order (a key may be repeated)."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in (DEPLOY / "systemd" / unit).read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(f"{section}.{key}", []).append(value)
    return settings


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    result = verify(installed_copy(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")


def test_the_check_catches_a_broken_unit(tmp_path):
    def misspell(name: str, text: str) -> str:
        return text.replace("ProtectSystem=", "ProtectSystm=") if name == "idp.service" else text

    result = verify(installed_copy(tmp_path, misspell))
    assert "ProtectSystm" in result.stderr


@pytest.mark.parametrize("unit", ["idp.service", "idp-purge.service"])
def test_the_services_are_hardened(unit):
    settings = service_section(unit)
    expected = {
        "User": ["idp"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "StateDirectory": ["idp"],
        "EnvironmentFile": ["/etc/idp/idp.env"],
        "KillSignal": ["SIGTERM"],
        "CapabilityBoundingSet": [""],
    }
    assert {key: settings.get(f"Service.{key}") for key in expected} == expected
    assert "IDP_INSTANCE_PATH=/var/lib/idp" in settings["Service.Environment"][0]


def test_idp_service_stops_gracefully_before_systemd_kills_it():
    settings = service_section("idp.service")
    assert settings["Service.ExecStart"][0].startswith(f"{INSTALLED_IDP} serve ")
    assert settings["Service.KillMode"] == ["mixed"]  # SIGTERM to Granian's main process
    reads = DEFAULTS["HEADER_READ_TIMEOUT"] + DEFAULTS["BODY_READ_TIMEOUT"]
    in_flight = reads + 2 * DEFAULTS["DATABASE_TIMEOUT"]
    assert int(settings["Service.TimeoutStopSec"][0]) > in_flight


def test_the_timer_runs_the_purge():
    assert service_section("idp-purge.service")["Service.ExecStart"] == [f"{INSTALLED_IDP} purge-expired"]
    timer = service_section("idp-purge.timer")
    assert timer["Timer.OnCalendar"] == ["hourly"] and timer["Install.WantedBy"] == ["timers.target"]


def test_the_nginx_configuration_is_valid(tmp_path):
    certificates = make_certificates(tmp_path / "tls")
    proxy = configure_nginx(tmp_path, ["127.0.0.1:8001", "127.0.0.1:8002"], certificates)
    result = subprocess.run(proxy.command("-t"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([km]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def test_nginx_bounds_bodies_as_idp_does():
    text = SITE.read_text()
    server_level = re.search(r"^    client_max_body_size (\S+);", text, re.MULTILINE).group(1)
    webhook = re.search(r"location = /webhooks/datapass \{[^}]*client_max_body_size (\S+);", text).group(1)
    assert _size(server_level) == DEFAULTS["MAX_CONTENT_LENGTH"]
    assert _size(webhook) == MAX_DELIVERY_BYTES
