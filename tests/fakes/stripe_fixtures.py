"""pytest fixtures that run `FakeStripe` for one test.

Enable them for the whole suite from the root conftest:

    pytest_plugins = ["tests.fakes.stripe_fixtures"]

or import the fixture into a test module (`from .stripe_fixtures import fake_stripe`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from .stripe_server import FakeStripe

FAKE_SECRET_KEY = "sk_test_fake"
FAKE_WEBHOOK_SECRET = "whsec_test_fake"


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A running FakeStripe with the library's globals pointed at it.

    Sets `stripe.api_base` and `stripe.api_key` for module-style calls (`stripe.Transfer.create`);
    a `StripeClient` needs `base_addresses={"api": fake_stripe.url}`. The globals, and
    `stripe.max_network_retries` (tests often set it to 0), are restored afterwards.
    """
    saved = (stripe.api_base, stripe.api_key, stripe.max_network_retries)
    with FakeStripe() as fake:
        stripe.api_base = fake.url
        stripe.api_key = FAKE_SECRET_KEY
        try:
            yield fake
        finally:
            stripe.api_base, stripe.api_key, stripe.max_network_retries = saved


@pytest.fixture
def fake_stripe_settings(fake_stripe: FakeStripe, settings: Any) -> FakeStripe:
    """`fake_stripe` plus the Django settings the product reads (needs pytest-django)."""
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    return fake_stripe
