"""FakeStripe, exercised through the real `stripe` library in both of its calling styles."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
import stripe

from .stripe_fixtures import FAKE_WEBHOOK_SECRET, fake_stripe  # noqa: F401 - fixture
from .stripe_server import FakeStripe, decode_form, sign_webhook_payload


@pytest.fixture
def client(fake_stripe: FakeStripe) -> stripe.StripeClient:  # noqa: F811
    # StripeClient defaults to no network retries (the module globals default to 2).
    return stripe.StripeClient("sk_test_client", base_addresses={"api": fake_stripe.url})


@pytest.fixture
def agent_account(fake_stripe: FakeStripe) -> dict[str, Any]:  # noqa: F811
    return fake_stripe.add_account(email="agent@example.com", onboarded=True)


@pytest.fixture
def no_retries() -> None:
    stripe.max_network_retries = 0  # restored by fake_stripe


def transfer_params(account_id: str, **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "amount": 1250,
        "currency": "usd",
        "destination": account_id,
        "transfer_group": "payout_7",
        "description": "Humanline payout 7",
        "metadata": {"payout_id": 7},
    }
    params.update(overrides)
    return params


# --- accounts and onboarding -------------------------------------------------------------------


def test_a_new_express_account_cannot_receive_transfers_until_onboarded(
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    account = stripe.Account.create(
        type="express",
        country="US",
        email="agent@example.com",
        capabilities={"transfers": {"requested": True}},
        metadata={"agent_id": 42},
    )

    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert account.livemode is False
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.capabilities.to_dict() == {"transfers": "inactive"}
    assert account.metadata.to_dict() == {"agent_id": "42"}

    fake_stripe.complete_onboarding(account.id)
    refreshed = stripe.Account.retrieve(account.id)

    assert refreshed.payouts_enabled is True
    assert refreshed.details_submitted is True
    assert refreshed.charges_enabled is True
    assert refreshed.capabilities["transfers"] == "active"


def test_an_account_link_points_at_a_local_onboarding_page_that_returns_to_the_product(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
) -> None:
    account = client.v1.accounts.create(
        params={"type": "express", "capabilities": {"transfers": {"requested": True}}}
    )
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "http://testserver/payouts/onboarding/refresh",
            "return_url": "http://testserver/payouts/onboarding/done",
            "type": "account_onboarding",
        }
    )

    assert link.object == "account_link"
    assert link.url == f"{fake_stripe.url}/onboarding/{account.id}"
    assert link.expires_at > time.time()
    assert requests.get(link.url, timeout=5).status_code == 200

    submitted = requests.post(link.url, allow_redirects=False, timeout=5)

    assert submitted.status_code == 303
    assert submitted.headers["Location"] == "http://testserver/payouts/onboarding/done"
    assert fake_stripe.accounts[account.id]["payouts_enabled"] is True


def test_an_unknown_account_is_a_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.retrieve("acct_doesnotexist")

    assert excinfo.value.http_status == 404
    assert excinfo.value.code == "resource_missing"


# --- transfers -----------------------------------------------------------------------------------


def test_it_creates_retrieves_and_lists_transfers_by_group(
    fake_stripe: FakeStripe,  # noqa: F811
    agent_account: dict[str, Any],
) -> None:
    destination = agent_account["id"]
    created = stripe.Transfer.create(**transfer_params(destination))
    stripe.Transfer.create(**transfer_params(destination, transfer_group="payout_8"))

    assert created.id.startswith("tr_")
    assert created.object == "transfer"
    assert (created.amount, created.currency, created.destination) == (1250, "usd", destination)
    assert created.metadata.to_dict() == {"payout_id": "7"}
    assert (created.reversed, created.amount_reversed, created.livemode) == (False, 0, False)
    assert isinstance(created.created, int)
    assert stripe.Transfer.retrieve(created.id).id == created.id

    listed = stripe.Transfer.list(transfer_group="payout_7")

    assert listed.object == "list"
    assert listed.url == "/v1/transfers"
    assert listed.has_more is False
    assert [t.id for t in listed.data] == [created.id]
    assert fake_stripe.available_balance("usd") == 10_000_000 - 2 * 1250


def test_the_client_style_sends_the_same_request(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
    agent_account: dict[str, Any],
) -> None:
    transfer = client.v1.transfers.create(
        params=transfer_params(agent_account["id"]), options={"idempotency_key": "payout-7"}
    )

    assert client.v1.transfers.retrieve(transfer.id).transfer_group == "payout_7"
    assert fake_stripe.transfers[0]["metadata"] == {"payout_id": "7"}
    assert fake_stripe.requests[0] == ("POST", "/v1/transfers", "payout-7")


def test_listing_filters_by_destination_and_pages_newest_first(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
    agent_account: dict[str, Any],
) -> None:
    other = fake_stripe.add_account(onboarded=True)
    ids = [
        client.v1.transfers.create(params=transfer_params(agent_account["id"], amount=n)).id
        for n in (1, 2, 3)
    ]
    client.v1.transfers.create(params=transfer_params(other["id"]))

    first_page = client.v1.transfers.list(params={"destination": agent_account["id"], "limit": 2})

    assert [t.id for t in first_page.data] == [ids[2], ids[1]]
    assert first_page.has_more is True
    assert [t.id for t in first_page.auto_paging_iter()] == ids[::-1]


def test_an_unknown_transfer_is_a_404_resource_missing(fake_stripe: FakeStripe) -> None:  # noqa: F811
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe.Transfer.retrieve("tr_doesnotexist")

    assert excinfo.value.http_status == 404
    assert excinfo.value.code == "resource_missing"


def test_a_transfer_to_an_account_without_the_transfers_capability_is_refused(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
) -> None:
    not_onboarded = fake_stripe.add_account()

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.transfers.create(params=transfer_params(not_onboarded["id"]))

    assert excinfo.value.http_status == 400
    assert excinfo.value.code == "insufficient_capabilities_for_transfer"
    assert fake_stripe.transfers == []


def test_a_transfer_larger_than_the_balance_is_refused_and_the_refusal_is_replayed(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
    agent_account: dict[str, Any],
) -> None:
    fake_stripe.set_available_balance(1000, "usd")
    options = {"idempotency_key": "payout-7"}

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.transfers.create(params=transfer_params(agent_account["id"]), options=options)
    assert excinfo.value.code == "balance_insufficient"

    # Like Stripe: an error raised while the endpoint ran is saved under the key, so topping up
    # and retrying with the same key still fails. Only a new key makes a new attempt.
    fake_stripe.set_available_balance(5000, "usd")
    with pytest.raises(stripe.InvalidRequestError) as replayed:
        client.v1.transfers.create(params=transfer_params(agent_account["id"]), options=options)
    assert replayed.value.headers["Idempotent-Replayed"] == "true"

    client.v1.transfers.create(
        params=transfer_params(agent_account["id"]), options={"idempotency_key": "payout-7-b"}
    )
    assert fake_stripe.available_balance("usd") == 5000 - 1250


@pytest.mark.parametrize(
    ("overrides", "param", "code"),
    [
        ({"amount": 0}, "amount", "parameter_invalid_integer"),
        ({"amount": "12.50"}, "amount", "parameter_invalid_integer"),
        ({"currency": None}, "currency", "parameter_missing"),
        ({"destination": "acct_nobody"}, "destination", "resource_missing"),
        ({"amount_cents": 5}, "amount_cents", "parameter_unknown"),
    ],
)
def test_it_refuses_invalid_transfer_params_and_saves_nothing_under_the_key(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
    agent_account: dict[str, Any],
    overrides: dict[str, Any],
    param: str,
    code: str,
) -> None:
    options = {"idempotency_key": "payout-7"}
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.transfers.create(
            params=transfer_params(agent_account["id"], **overrides), options=options
        )

    assert (excinfo.value.param, excinfo.value.code) == (param, code)
    # Validation failures are not saved, so the corrected request may reuse the key.
    client.v1.transfers.create(params=transfer_params(agent_account["id"]), options=options)
    assert len(fake_stripe.transfers) == 1


# --- idempotency ---------------------------------------------------------------------------------


def test_an_idempotent_replay_creates_one_transfer(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
    agent_account: dict[str, Any],
) -> None:
    options = {"idempotency_key": "payout-7"}
    first = client.v1.transfers.create(params=transfer_params(agent_account["id"]), options=options)
    second = client.v1.transfers.create(
        params=transfer_params(agent_account["id"]), options=options
    )

    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(fake_stripe.transfers) == 1
    assert fake_stripe.available_balance("usd") == 10_000_000 - 1250


def test_reusing_a_key_with_other_params_is_an_idempotency_error(
    fake_stripe: FakeStripe,  # noqa: F811
    agent_account: dict[str, Any],
) -> None:
    stripe.Transfer.create(**transfer_params(agent_account["id"]), idempotency_key="payout-7")

    with pytest.raises(stripe.IdempotencyError) as excinfo:
        stripe.Transfer.create(
            **transfer_params(agent_account["id"], amount=9999), idempotency_key="payout-7"
        )

    assert excinfo.value.http_status == 400
    assert excinfo.value.error.type == "idempotency_error"
    assert len(fake_stripe.transfers) == 1


def test_a_retry_after_the_keys_expired_pays_again(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
    agent_account: dict[str, Any],
) -> None:
    options = {"idempotency_key": "payout-7"}
    client.v1.transfers.create(params=transfer_params(agent_account["id"]), options=options)
    fake_stripe.expire_idempotency_keys()

    client.v1.transfers.create(params=transfer_params(agent_account["id"]), options=options)

    # Why a retry days later must first look for the transfer by its group.
    assert len(fake_stripe.transfers) == 2


def test_calls_without_an_explicit_key_get_fresh_keys_and_pay_twice(
    fake_stripe: FakeStripe,  # noqa: F811
    agent_account: dict[str, Any],
) -> None:
    stripe.Transfer.create(**transfer_params(agent_account["id"]))
    stripe.Transfer.create(**transfer_params(agent_account["id"]))

    keys = [key for _, _, key in fake_stripe.requests]
    assert len(set(keys)) == 2
    assert all(keys)  # the library generates a UUID-like key for every POST
    assert len(fake_stripe.transfers) == 2


# --- faults --------------------------------------------------------------------------------------


def test_an_injected_500_creates_nothing_and_a_retry_with_the_key_succeeds(
    fake_stripe: FakeStripe,  # noqa: F811
    agent_account: dict[str, Any],
    no_retries: None,
) -> None:
    fake_stripe.fail_next("/v1/transfers", status=500)

    with pytest.raises(stripe.APIError) as excinfo:
        stripe.Transfer.create(**transfer_params(agent_account["id"]), idempotency_key="payout-7")
    assert excinfo.value.http_status == 500
    assert fake_stripe.transfers == []

    transfer = stripe.Transfer.create(
        **transfer_params(agent_account["id"]), idempotency_key="payout-7"
    )
    assert [t["id"] for t in fake_stripe.transfers] == [transfer.id]


def test_an_injected_429_is_a_rate_limit_error(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
    agent_account: dict[str, Any],
) -> None:
    fake_stripe.fail_next("/v1/transfers", status=429)

    with pytest.raises(stripe.RateLimitError):
        client.v1.transfers.create(params=transfer_params(agent_account["id"]))
    assert fake_stripe.transfers == []


def test_the_library_retries_a_500_itself_with_the_same_key(
    fake_stripe: FakeStripe,  # noqa: F811
    agent_account: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0)  # no backoff sleep in tests
    stripe.max_network_retries = 1
    fake_stripe.fail_next("/v1/transfers", status=500)

    stripe.Transfer.create(**transfer_params(agent_account["id"]))

    first, retry = fake_stripe.requests
    assert first.idempotency_key == retry.idempotency_key
    assert len(fake_stripe.transfers) == 1


def test_a_dropped_response_raises_though_the_transfer_exists_and_a_retry_returns_it(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
    agent_account: dict[str, Any],
) -> None:
    fake_stripe.drop_response_after_commit("/v1/transfers")
    options = {"idempotency_key": "payout-7"}

    with pytest.raises(stripe.APIConnectionError) as excinfo:
        client.v1.transfers.create(params=transfer_params(agent_account["id"]), options=options)
    assert excinfo.value.should_retry is True
    [stored] = fake_stripe.transfers

    retried = client.v1.transfers.create(
        params=transfer_params(agent_account["id"]), options=options
    )

    assert retried.id == stored["id"]
    assert retried.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(fake_stripe.transfers) == 1


def test_the_library_hides_a_dropped_response_by_retrying_with_its_own_key(
    fake_stripe: FakeStripe,  # noqa: F811
    agent_account: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0)
    stripe.max_network_retries = 2  # the library's default for module-style calls
    fake_stripe.drop_response_after_commit("/v1/transfers")

    transfer = stripe.Transfer.create(**transfer_params(agent_account["id"]))

    assert transfer.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(fake_stripe.transfers) == 1


# --- authentication and routing ------------------------------------------------------------------


def test_an_invalid_api_key_is_an_authentication_error(fake_stripe: FakeStripe) -> None:  # noqa: F811
    stripe.api_key = "sk_live_not_for_tests"

    with pytest.raises(stripe.error.AuthenticationError) as excinfo:
        stripe.Balance.retrieve()

    assert excinfo.value.http_status == 401


def test_a_request_without_authorization_is_a_401(fake_stripe: FakeStripe) -> None:  # noqa: F811
    response = requests.get(f"{fake_stripe.url}/v1/balance", timeout=5)

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_the_balance_reports_the_available_amount(
    fake_stripe: FakeStripe,  # noqa: F811
    client: stripe.StripeClient,
) -> None:
    fake_stripe.set_available_balance(4200, "eur")

    balance = client.v1.balance.retrieve()

    assert balance.object == "balance"
    assert {"amount": 4200, "currency": "eur", "source_types": {"card": 4200}} in [
        entry.to_dict() for entry in balance.available
    ]


def test_an_endpoint_the_product_does_not_use_is_unrecognized(
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe.Payout.create(amount=100, currency="usd")

    assert excinfo.value.http_status == 404
    assert "Unrecognized request URL" in str(excinfo.value)


# --- webhooks and encoding -----------------------------------------------------------------------


def test_a_signed_event_verifies_with_the_library(
    fake_stripe: FakeStripe,  # noqa: F811
    agent_account: dict[str, Any],
) -> None:
    account = fake_stripe.complete_onboarding(agent_account["id"])
    event = fake_stripe.make_event("account.updated", account, account=account["id"])
    payload = json.dumps(event).encode()

    verified = stripe.Webhook.construct_event(
        payload, sign_webhook_payload(payload, FAKE_WEBHOOK_SECRET), FAKE_WEBHOOK_SECRET
    )

    assert verified.id.startswith("evt_")
    assert verified.type == "account.updated"
    assert verified.account == account["id"]
    assert verified.data.object.payouts_enabled is True


def test_a_tampered_or_stale_event_fails_verification(fake_stripe: FakeStripe) -> None:  # noqa: F811
    payload = json.dumps(fake_stripe.make_event("transfer.created", {"id": "tr_1"})).encode()
    stale = sign_webhook_payload(payload, FAKE_WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload + b" ", sign_webhook_payload(payload, FAKE_WEBHOOK_SECRET), FAKE_WEBHOOK_SECRET
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stale, FAKE_WEBHOOK_SECRET)


def test_it_decodes_stripes_nested_form_encoding() -> None:
    body = (
        "capabilities[transfers][requested]=true&metadata[payout_id]=7&metadata[0]=zero"
        "&expand[0]=destination&expand[1]=balance_transaction&email="
    )

    assert decode_form(body) == {
        "capabilities": {"transfers": {"requested": "true"}},
        "metadata": {"payout_id": "7", "0": "zero"},
        "expand": ["destination", "balance_transaction"],
        "email": "",
    }
