"""Helpers of the observability tests: the metrics as ``/metrics`` shows them."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "a-metrics-token-of-the-tests-0123456789"


@pytest.fixture
def app_settings() -> dict:
    return {"METRICS_TOKEN": METRICS_TOKEN}


class Scraper:
    """``GET /metrics`` with the token, parsed: ``value(name, **labels)``, 0 when absent."""

    def __init__(self, client) -> None:
        self.client = client

    def scrape(self) -> dict:
        answer = self.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True))
            for sample in family.samples
        }

    def value(self, name: str, **labels) -> float:
        return self.scrape().get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics(client) -> Scraper:
    return Scraper(client)
