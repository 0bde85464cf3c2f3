"""A local stand-in for the parts of the Stripe API that Humanline uses.

`FakeStripe` is a real HTTP server on 127.0.0.1, so the real `stripe` library talks to it over
a socket exactly as it talks to api.stripe.com: form-encoded bodies, bearer keys,
`Idempotency-Key` headers, its own retries and its own mapping of error bodies to exception
classes. Faking at this edge (rather than mocking `stripe.Transfer.create`) is what lets tests
see the failures that matter for paying agents: a timeout after Stripe already moved the money,
an idempotency key reused with different parameters, a retry a day later.

Only the endpoints the product calls are served; anything else gets Stripe's 404 for an
unrecognized URL, so a new call in the product fails loudly here instead of passing silently.

Idempotency follows Stripe's documented rules: the first result for a key is saved (successes
and errors raised while the endpoint runs, such as `balance_insufficient`) and replayed for the
same request; parameter validation errors, authentication errors and injected faults happen
before the endpoint runs, so nothing is saved for them and the same key can be retried.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qsl, urlsplit

import stripe

__all__ = ["FakeStripe", "LoggedRequest", "sign_webhook_payload"]

# Generous by default so tests that are not about the balance never trip over it.
DEFAULT_AVAILABLE_BALANCE = {"usd": 10_000_000, "eur": 10_000_000}  # minor units
ACCOUNT_LINK_LIFETIME_SECONDS = 300
LIST_LIMIT_DEFAULT = 10
LIST_LIMIT_MAX = 100

_COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "CH": "chf", "SE": "sek"}
_ID_ALPHABET = string.ascii_letters + string.digits


def _new_id(prefix: str) -> str:
    return prefix + "_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def _now() -> int:
    return int(time.time())


def sign_webhook_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Return a `Stripe-Signature` header value that `stripe.Webhook.construct_event` accepts.

    Stripe signs `"{timestamp}.{raw body}"` with HMAC-SHA256 keyed by the endpoint's secret.
    Pass an old `timestamp` to test the tolerance check (the library's default is 300 s).
    """
    signed_at = _now() if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode("utf-8"), f"{signed_at}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={signed_at},v1={signature}"


class LoggedRequest(NamedTuple):
    method: str
    path: str
    idempotency_key: str | None


class _StripeError(Exception):
    """An error response in Stripe's shape.

    `saved` says whether Stripe would store it under the request's idempotency key: only errors
    raised while the endpoint runs are saved, not validation or authentication failures.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        saved: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.saved = saved

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def _param_error(message: str, *, param: str, code: str = "parameter_invalid") -> _StripeError:
    return _StripeError(400, message, code=code, param=param)


def _missing(param: str) -> _StripeError:
    return _param_error(f"Missing required param: {param}.", param=param, code="parameter_missing")


def _no_such(kind: str, object_id: str, *, status: int, param: str | None = None) -> _StripeError:
    return _StripeError(
        status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


# --- form decoding ----------------------------------------------------------------------------


def _split_key(key: str) -> list[str]:
    """`capabilities[transfers][requested]` -> `["capabilities", "transfers", "requested"]`."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    if not rest.endswith("]"):
        raise _param_error(f"Invalid parameter name: {key}", param=key)
    return [head, *rest[:-1].split("][")]


def _listify(value: Any) -> Any:
    # The library sends arrays as `expand[0]=a&expand[1]=b`; `a[]=x` is accepted too.
    # Metadata is always a hash, even when its keys happen to be "0", "1", ...
    if isinstance(value, dict):
        value = {k: v if k == "metadata" else _listify(v) for k, v in value.items()}
        if value and sorted(value) == sorted(str(i) for i in range(len(value))):
            return [value[str(i)] for i in range(len(value))]
        if list(value) == [""]:
            return value[""]
    return value


def decode_form(raw: str) -> dict[str, Any]:
    """Decode Stripe's form encoding into nested dicts and lists (values stay strings)."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True, strict_parsing=False):
        parts = _split_key(key)
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _param_error(f"Invalid hash: {'.'.join(parts[: depth + 1])}", param=key)
            node = child
        last = parts[-1]
        if last == "":
            node.setdefault("", []).append(value)
        elif isinstance(node.get(last), dict):
            raise _param_error(f"Invalid hash: {key}", param=key)
        else:
            node[last] = value
    return _listify(result)


# --- small parameter checks ---------------------------------------------------------------------


def _check_known(params: Mapping[str, Any], allowed: set[str]) -> None:
    for name in params:
        if name not in allowed:
            raise _param_error(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )


def _positive_int(params: Mapping[str, Any], name: str) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        raise _missing(name)
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
        raise _param_error(f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer")
    value = int(raw)
    if value < 1:
        raise _param_error(
            "This value must be greater than or equal to 1.",
            param=name,
            code="parameter_invalid_integer",
        )
    return value


def _currency(params: Mapping[str, Any]) -> str:
    raw = params.get("currency")
    if raw is None or raw == "":
        raise _missing("currency")
    if not isinstance(raw, str) or not re.fullmatch(r"[A-Za-z]{3}", raw):
        raise _param_error(f"Invalid currency: {raw}", param="currency")
    return raw.lower()


def _optional_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _param_error(f"Invalid string: {name}", param=name)
    return value


def _required_str(params: Mapping[str, Any], name: str) -> str:
    value = _optional_str(params, name)
    if value is None:
        raise _missing(name)
    return value


def _metadata(params: Mapping[str, Any]) -> dict[str, str]:
    raw = params.get("metadata")
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise _param_error("Invalid object", param="metadata")
    # Stripe's limits; catching them here beats finding out in production.
    if len(raw) > 50:
        raise _param_error("Metadata can have at most 50 keys.", param="metadata")
    for key, value in raw.items():
        if len(key) > 40:
            raise _param_error(
                "Metadata keys can be at most 40 characters.", param=f"metadata[{key}]"
            )
        if len(value) > 500:
            raise _param_error(
                "Metadata values can be at most 500 characters.", param=f"metadata[{key}]"
            )
    # An empty value means "unset" at Stripe, so it never appears in the object.
    return {k: v for k, v in raw.items() if v != ""}


def _list_limit(params: Mapping[str, Any]) -> int:
    if params.get("limit") in (None, ""):
        return LIST_LIMIT_DEFAULT
    limit = _positive_int(params, "limit")
    if limit > LIST_LIMIT_MAX:
        raise _param_error(
            f"This value must be less than or equal to {LIST_LIMIT_MAX}.", param="limit"
        )
    return limit


# --- server internals ------------------------------------------------------------------------


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    request_id: str = ""


@dataclass
class _Fault:
    path_prefix: str
    method: str | None
    remaining: int
    status: int = 0
    should_retry: bool | None = None

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and path.startswith(self.path_prefix)
            and (self.method is None or self.method == method)
        )


@dataclass
class _SavedResult:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: bytes
    request_id: str


_Endpoint = Callable[..., tuple[int, dict[str, Any]]]


class FakeStripe:
    """An in-memory Stripe (Connect platform, test mode) served on 127.0.0.1.

    Use as a context manager or call `start()`/`stop()`; point the library at `url`.
    All state lives on the instance behind one lock; requests are handled one at a time, which is
    also how Stripe serialises concurrent requests that share an idempotency key.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        available_balance: Mapping[str, int] | None = None,
    ) -> None:
        """`api_key`: if given, the only key accepted; otherwise any `sk_test_`/`rk_test_` key."""
        self._api_key = api_key
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._accounts: dict[str, dict[str, Any]] = {}
        self._transfers: list[dict[str, Any]] = []  # oldest first
        self._balance: dict[str, int] = dict(
            DEFAULT_AVAILABLE_BALANCE if available_balance is None else available_balance
        )
        self._requests: list[LoggedRequest] = []
        self._saved_results: dict[tuple[str, str], _SavedResult] = {}
        self._onboarding_urls: dict[str, dict[str, str]] = {}
        self._failures: list[_Fault] = []
        self._drops: list[_Fault] = []
        self._pauses: list[tuple[_Fault, threading.Event, threading.Event]] = []
        self._routes: list[tuple[str, re.Pattern[str], _Endpoint]] = [
            ("POST", re.compile(r"/v1/accounts"), self._create_account),
            ("GET", re.compile(r"/v1/accounts/([^/]+)"), self._retrieve_account),
            ("POST", re.compile(r"/v1/account_links"), self._create_account_link),
            ("POST", re.compile(r"/v1/transfers"), self._create_transfer),
            ("GET", re.compile(r"/v1/transfers"), self._list_transfers),
            ("GET", re.compile(r"/v1/transfers/([^/]+)"), self._retrieve_transfer),
            ("GET", re.compile(r"/v1/balance"), self._retrieve_balance),
            ("GET", re.compile(r"/v1/payouts/([^/]+)"), self._retrieve_connected_payout),
        ]
        # Payouts of connected accounts to their banks, by (account id, payout id).
        self._connected_payouts: dict[tuple[str, str], dict[str, Any]] = {}
        self._request_scope = ""

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeStripe is already running")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:54321` (use as `stripe.api_base`)."""
        if self._server is None:
            raise RuntimeError("FakeStripe is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- inspection -----------------------------------------------------------------------------

    @property
    def transfers(self) -> list[dict[str, Any]]:
        """Every transfer created, oldest first (copies)."""
        with self._lock:
            return copy.deepcopy(self._transfers)

    @property
    def accounts(self) -> dict[str, dict[str, Any]]:
        """Connected accounts by id (copies)."""
        with self._lock:
            return copy.deepcopy(self._accounts)

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request received, in order, as `(method, path, idempotency_key)`."""
        with self._lock:
            return list(self._requests)

    def available_balance(self, currency: str = "usd") -> int:
        with self._lock:
            return self._balance.get(currency.lower(), 0)

    # --- test controls --------------------------------------------------------------------------

    def set_available_balance(self, amount: int, currency: str = "usd") -> None:
        """Set the platform's available balance in `currency` (minor units)."""
        with self._lock:
            self._balance[currency.lower()] = amount

    def add_account(
        self,
        *,
        email: str | None = None,
        country: str = "US",
        metadata: Mapping[str, str] | None = None,
        onboarded: bool = False,
    ) -> dict[str, Any]:
        """Create an Express account without going through the API (for arranging tests)."""
        with self._lock:
            account = self._new_account(
                account_type="express",
                country=country,
                email=email,
                requested=["transfers"],
                metadata=dict(metadata or {}),
            )
            if onboarded:
                self._complete_onboarding(account)
            return copy.deepcopy(account)

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """Do what a person finishing Express onboarding does; returns the updated account."""
        with self._lock:
            account = self._accounts.get(account_id)
            if account is None:
                raise KeyError(account_id)
            self._complete_onboarding(account)
            return copy.deepcopy(account)

    def fail_next(
        self,
        path_prefix: str,
        status: int = 500,
        times: int = 1,
        *,
        method: str | None = None,
        should_retry: bool | None = None,
    ) -> None:
        """Answer the next `times` matching requests with an error before doing anything.

        `status` 500 (or any 5xx) gives an `api_error`, 429 a rate-limit error. Nothing is created
        and no idempotency result is saved, so a retry with the same key runs for real.
        `should_retry` sets the `Stripe-Should-Retry` header, which the library obeys.
        """
        if status != 429 and not 500 <= status <= 599:
            raise ValueError("fail_next supports status 429 or 5xx")
        with self._lock:
            self._failures.append(_Fault(path_prefix, _upper(method), times, status, should_retry))

    def drop_response_after_commit(
        self, path_prefix: str, times: int = 1, *, method: str | None = None
    ) -> None:
        """Process the next `times` matching requests fully, then hang up without answering.

        The object is created and the idempotency result saved, but the client sees a
        connection error: what a timeout after the request reached Stripe looks like.
        """
        with self._lock:
            self._drops.append(_Fault(path_prefix, _upper(method), times))

    def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> dict[str, Any]:
        """Reverse some (or all) of a transfer, as the platform can from its dashboard.

        Returns the updated transfer; send the matching `transfer.reversed` event yourself.
        """
        with self._lock:
            transfer = next(t for t in self._transfers if t["id"] == transfer_id)
            remaining = transfer["amount"] - transfer["amount_reversed"]
            amount = remaining if amount is None else amount
            if not 0 < amount <= remaining:
                raise ValueError(f"can reverse 1..{remaining}, not {amount}")
            transfer["amount_reversed"] += amount
            transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
            self._balance[transfer["currency"]] = (
                self._balance.get(transfer["currency"], 0) + amount
            )
            reversal = {"id": _new_id("trr"), "object": "transfer_reversal", "amount": amount}
            transfer["reversals"]["data"].insert(0, reversal)
            transfer["reversals"]["total_count"] += 1
            return copy.deepcopy(transfer)

    def set_connected_payout(
        self,
        account_id: str,
        payout_id: str | None = None,
        *,
        amount: int = 1000,
        currency: str = "usd",
        status: str = "pending",
        failure_code: str | None = None,
        failure_message: str | None = None,
    ) -> dict[str, Any]:
        """Create or update a connected account's payout to its bank (made by Stripe on its
        schedule, never by the platform's API calls here). Returns it."""
        with self._lock:
            if account_id not in self._accounts:
                raise KeyError(account_id)
            payout_id = payout_id or _new_id("po")
            payout = self._connected_payouts.setdefault(
                (account_id, payout_id),
                {
                    "id": payout_id,
                    "object": "payout",
                    "amount": amount,
                    "arrival_date": _now() + 2 * 86400,
                    "created": _now(),
                    "currency": currency,
                    "livemode": False,
                    "method": "standard",
                    "type": "bank_account",
                },
            )
            payout.update(status=status, failure_code=failure_code, failure_message=failure_message)
            return copy.deepcopy(payout)

    def pause_after_commit(
        self, path_prefix: str, *, method: str | None = None
    ) -> tuple[threading.Event, threading.Event]:
        """Process the next matching request fully, then hold the reply back.

        Returns ``(reached, release)``: ``reached`` is set once the object exists at this
        server; the reply waits for ``release`` (or 60 s) and is then never sent. For killing a
        client at the worst moment: after Stripe acted, before the client heard.
        """
        reached, release = threading.Event(), threading.Event()
        with self._lock:
            self._pauses.append((_Fault(path_prefix, _upper(method), 1), reached, release))
        return reached, release

    def expire_idempotency_keys(self) -> None:
        """Forget saved idempotency results, as Stripe does after about 24 hours."""
        with self._lock:
            self._saved_results.clear()

    def make_event(
        self,
        type: str,
        data_object: Mapping[str, Any],
        account: str | None = None,
        *,
        previous_attributes: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Build an `event` as Stripe would POST it to a webhook endpoint.

        `account` is set for events from connected accounts (a Connect endpoint).
        Serialise with `json.dumps(...).encode()` and sign with `sign_webhook_payload`.
        """
        data: dict[str, Any] = {"object": copy.deepcopy(dict(data_object))}
        if previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(dict(previous_attributes))
        event: dict[str, Any] = {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": _now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }
        if account is not None:
            event["account"] = account
        return event

    # --- request handling -----------------------------------------------------------------------

    def _handle(
        self, method: str, raw_path: str, body: bytes, headers: Mapping[str, str]
    ) -> _Reply | None:
        """Turn one HTTP request into a reply; `None` means hang up without answering."""
        split = urlsplit(raw_path)
        path = split.path
        idempotency_key = headers.get("Idempotency-Key") or None
        with self._lock:
            self._requests.append(LoggedRequest(method, path, idempotency_key))
            if path.startswith("/onboarding/"):
                return self._onboarding_page(method, path)
            try:
                self._authenticate(headers.get("Authorization"))
                failure = _take(self._failures, method, path)
                if failure is not None:
                    return self._injected_failure(failure)
                endpoint, path_args = self._route(method, path)
                scope = self._scope(headers.get("Stripe-Account"))
                params = decode_form(body.decode("utf-8") if method == "POST" else split.query)
            except _StripeError as exc:
                return _json_reply(exc.status, exc.body())

            self._request_scope = scope
            # Stripe ignores idempotency keys on GET and DELETE.
            saved_key = (scope, idempotency_key) if method == "POST" and idempotency_key else None
            saved = self._saved_results.get(saved_key) if saved_key else None
            if saved is not None:
                reply = self._replay(saved, method, path, params, idempotency_key or "")
            else:
                reply = self._run(endpoint, path_args, params, method, path, saved_key)
            if idempotency_key:
                reply.headers.append(("Idempotency-Key", idempotency_key))
            if _take(self._drops, method, path) is not None:
                return None
            return reply

    def _run(
        self,
        endpoint: _Endpoint,
        path_args: tuple[str, ...],
        params: dict[str, Any],
        method: str,
        path: str,
        saved_key: tuple[str, str] | None,
    ) -> _Reply:
        try:
            status, payload = endpoint(params, *path_args)
        except _StripeError as exc:
            if not exc.saved:
                return _json_reply(exc.status, exc.body())
            status, payload = exc.status, exc.body()
        reply = _json_reply(status, payload)
        if saved_key is not None:
            self._saved_results[saved_key] = _SavedResult(
                method=method,
                path=path,
                params=params,
                status=status,
                body=reply.body,
                request_id=reply.request_id,
            )
        return reply

    def _replay(
        self, saved: _SavedResult, method: str, path: str, params: dict[str, Any], key: str
    ) -> _Reply:
        if (saved.method, saved.path) != (method, path):
            error = _StripeError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{saved.method} {saved.path}' vs '{method} {path}'). Try "
                f"using a key other than '{key}' if you meant to execute a different request.",
                type_="idempotency_error",
            )
            return _json_reply(error.status, error.body())
        if saved.params != params:
            error = _StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type_="idempotency_error",
            )
            return _json_reply(error.status, error.body())
        return _Reply(
            saved.status,
            saved.body,
            [
                ("Content-Type", "application/json"),
                ("Request-Id", _new_id("req")),
                ("Idempotent-Replayed", "true"),
                ("Original-Request", saved.request_id),
            ],
        )

    def _take_pause(
        self, method: str, raw_path: str
    ) -> tuple[threading.Event, threading.Event] | None:
        path = urlsplit(raw_path).path
        with self._lock:
            for index, (fault, reached, release) in enumerate(self._pauses):
                if fault.matches(method, path):
                    del self._pauses[index]
                    return reached, release
        return None

    def _authenticate(self, authorization: str | None) -> None:
        if not authorization:
            raise _StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        scheme, _, key = authorization.partition(" ")
        if self._api_key is not None:
            valid = key == self._api_key
        else:
            valid = key.startswith(("sk_test_", "rk_test_")) and len(key) > len("sk_test_")
        if scheme.lower() != "bearer" or not valid:
            raise _StripeError(401, f"Invalid API Key provided: {_redact(key)}")

    def _scope(self, stripe_account: str | None) -> str:
        # Idempotency keys are per account: the platform, or the connected account acted for.
        if not stripe_account:
            return ""
        if stripe_account not in self._accounts:
            raise _StripeError(
                403,
                "The provided key does not have access to account "
                f"'{stripe_account}' (or that account does not exist). Application access may "
                "have been revoked.",
                type_="invalid_request_error",
                code="account_invalid",
            )
        return stripe_account

    def _route(self, method: str, path: str) -> tuple[_Endpoint, tuple[str, ...]]:
        for route_method, pattern, endpoint in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return endpoint, match.groups()
        raise _StripeError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
        )

    def _injected_failure(self, failure: _Fault) -> _Reply:
        if failure.status == 429:
            error = _StripeError(
                429,
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            )
        else:
            error = _StripeError(
                failure.status,
                "An unknown error occurred (injected by FakeStripe.fail_next).",
                type_="api_error",
            )
        reply = _json_reply(error.status, error.body())
        if failure.should_retry is not None:
            reply.headers.append(("Stripe-Should-Retry", str(failure.should_retry).lower()))
        return reply

    # --- accounts -------------------------------------------------------------------------------

    def _new_account(
        self,
        *,
        account_type: str,
        country: str,
        email: str | None,
        requested: list[str],
        metadata: dict[str, str],
    ) -> dict[str, Any]:
        account_id = _new_id("acct")
        currently_due = ["business_type", "external_account", "tos_acceptance.date"]
        account: dict[str, Any] = {
            "id": account_id,
            "object": "account",
            "business_profile": {"mcc": None, "name": None, "url": None},
            "business_type": None,
            "capabilities": {name: "inactive" for name in requested},
            "charges_enabled": False,
            "controller": {"type": "application", "is_controller": True},
            "country": country,
            "created": _now(),
            "default_currency": _COUNTRY_CURRENCY.get(country, "eur"),
            "details_submitted": False,
            "email": email,
            "external_accounts": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/accounts/{account_id}/external_accounts",
            },
            "livemode": False,
            "metadata": metadata,
            "payouts_enabled": False,
            "requirements": {
                "currently_due": currently_due,
                "eventually_due": list(currently_due),
                "past_due": list(currently_due),
                "pending_verification": [],
                "errors": [],
                "disabled_reason": "requirements.past_due",
                "current_deadline": None,
            },
            "tos_acceptance": {"date": None},
            "type": account_type,
        }
        self._accounts[account_id] = account
        return account

    @staticmethod
    def _complete_onboarding(account: dict[str, Any]) -> None:
        account["capabilities"] = {name: "active" for name in account["capabilities"]}
        account["capabilities"]["transfers"] = "active"
        account["charges_enabled"] = True
        account["payouts_enabled"] = True
        account["details_submitted"] = True
        account["business_type"] = account["business_type"] or "individual"
        account["tos_acceptance"] = {"date": _now()}
        account["requirements"].update(
            currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
        )

    def _create_account(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _check_known(
            params,
            {
                "type",
                "country",
                "email",
                "capabilities",
                "metadata",
                "business_type",
                "default_currency",
                "expand",
            },
        )
        account_type = _optional_str(params, "type") or "standard"
        if account_type not in {"express", "standard", "custom"}:
            raise _param_error(
                f"Invalid type: must be one of custom, express, or standard ({account_type})",
                param="type",
            )
        country = (_optional_str(params, "country") or "US").upper()
        capabilities = params.get("capabilities") or {}
        if not isinstance(capabilities, dict):
            raise _param_error("Invalid object", param="capabilities")
        requested = []
        for name, options in capabilities.items():
            if not isinstance(options, dict) or options.get("requested") not in {"true", "false"}:
                raise _param_error("Invalid boolean", param=f"capabilities[{name}][requested]")
            if options["requested"] == "true":
                requested.append(name)
        account = self._new_account(
            account_type=account_type,
            country=country,
            email=_optional_str(params, "email"),
            requested=requested,
            metadata=_metadata(params),
        )
        if business_type := _optional_str(params, "business_type"):
            account["business_type"] = business_type
        if default_currency := _optional_str(params, "default_currency"):
            account["default_currency"] = default_currency.lower()
        return 200, account

    def _retrieve_account(self, params: dict[str, Any], account_id: str) -> tuple[int, dict]:
        _check_known(params, {"expand"})
        account = self._accounts.get(account_id)
        if account is None:
            raise _no_such("account", account_id, status=404, param="id")
        return 200, account

    def _create_account_link(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _check_known(params, {"account", "refresh_url", "return_url", "type", "collect", "expand"})
        account_id = _required_str(params, "account")
        link_type = _required_str(params, "type")
        if link_type not in {"account_onboarding", "account_update"}:
            raise _param_error(f"Invalid type: {link_type}", param="type")
        urls = {}
        for name in ("refresh_url", "return_url"):
            value = _required_str(params, name)
            if not value.startswith(("http://", "https://")):
                raise _param_error("Not a valid URL", param=name, code="url_invalid")
            urls[name] = value
        if account_id not in self._accounts:
            raise _no_such("account", account_id, status=400, param="account")
        self._onboarding_urls[account_id] = urls
        created = _now()
        return 200, {
            "object": "account_link",
            "created": created,
            "expires_at": created + ACCOUNT_LINK_LIFETIME_SECONDS,
            "url": f"{self.url}/onboarding/{account_id}",
        }

    # --- transfers ------------------------------------------------------------------------------

    def _create_transfer(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _check_known(
            params,
            {
                "amount",
                "currency",
                "destination",
                "transfer_group",
                "description",
                "metadata",
                "source_transaction",
                "expand",
            },
        )
        amount = _positive_int(params, "amount")
        currency = _currency(params)
        destination_id = _required_str(params, "destination")
        metadata = _metadata(params)
        destination = self._accounts.get(destination_id)
        if destination is None:
            raise _no_such("destination", destination_id, status=400, param="destination")
        # From here on the endpoint is running: Stripe saves these errors under the key.
        if destination["capabilities"].get("transfers") != "active":
            raise _StripeError(
                400,
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
                saved=True,
            )
        if self._balance.get(currency, 0) < amount:
            raise _StripeError(
                400,
                "You have insufficient available funds in your Stripe account. Try adding "
                "funds directly to your available balance by creating Charges using the "
                "4000000000000077 test card. See: https://stripe.com/docs/testing"
                "#available-balance",
                code="balance_insufficient",
                saved=True,
            )
        self._balance[currency] -= amount
        transfer_id = _new_id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": _new_id("txn"),
            "created": _now(),
            "currency": currency,
            "description": _optional_str(params, "description"),
            "destination": destination_id,
            "destination_payment": _new_id("py"),
            "livemode": False,
            "metadata": metadata,
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": _optional_str(params, "source_transaction"),
            "source_type": "card",
            "transfer_group": _optional_str(params, "transfer_group"),
        }
        self._transfers.append(transfer)
        return 200, transfer

    def _retrieve_transfer(self, params: dict[str, Any], transfer_id: str) -> tuple[int, dict]:
        _check_known(params, {"expand"})
        for transfer in self._transfers:
            if transfer["id"] == transfer_id:
                return 200, transfer
        raise _no_such("transfer", transfer_id, status=404, param="id")

    def _list_transfers(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _check_known(
            params,
            {"destination", "transfer_group", "limit", "starting_after", "ending_before", "expand"},
        )
        limit = _list_limit(params)
        destination = _optional_str(params, "destination")
        transfer_group = _optional_str(params, "transfer_group")
        newest_first = [
            t
            for t in reversed(self._transfers)
            if (destination is None or t["destination"] == destination)
            and (transfer_group is None or t["transfer_group"] == transfer_group)
        ]
        ids = [t["id"] for t in newest_first]
        if starting_after := _optional_str(params, "starting_after"):
            if starting_after not in ids:
                raise _no_such("transfer", starting_after, status=400, param="starting_after")
            window = newest_first[ids.index(starting_after) + 1 :]
            page, has_more = window[:limit], len(window) > limit
        elif ending_before := _optional_str(params, "ending_before"):
            if ending_before not in ids:
                raise _no_such("transfer", ending_before, status=400, param="ending_before")
            window = newest_first[: ids.index(ending_before)]
            page, has_more = window[-limit:], len(window) > limit
        else:
            page, has_more = newest_first[:limit], len(newest_first) > limit
        return 200, {"object": "list", "data": page, "has_more": has_more, "url": "/v1/transfers"}

    def _retrieve_connected_payout(
        self, params: dict[str, Any], payout_id: str
    ) -> tuple[int, dict]:
        _check_known(params, {"expand"})
        payout = self._connected_payouts.get((self._request_scope, payout_id))
        if payout is None:
            raise _no_such("payout", payout_id, status=404, param="id")
        return 200, payout

    # --- balance --------------------------------------------------------------------------------

    def _retrieve_balance(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _check_known(params, {"expand"})
        return 200, {
            "object": "balance",
            "available": [
                {"amount": amount, "currency": currency, "source_types": {"card": amount}}
                for currency, amount in sorted(self._balance.items())
            ],
            "connect_reserved": [
                {"amount": 0, "currency": currency} for currency in sorted(self._balance)
            ],
            "livemode": False,
            "pending": [
                {"amount": 0, "currency": currency, "source_types": {"card": 0}}
                for currency in sorted(self._balance)
            ],
        }

    # --- the hosted onboarding page (for browser tests) -------------------------------------------

    def _onboarding_page(self, method: str, path: str) -> _Reply:
        """`GET` shows a one-button form; `POST` completes onboarding and returns to the product."""
        account_id = path.removeprefix("/onboarding/")
        urls = self._onboarding_urls.get(account_id)
        if urls is None or account_id not in self._accounts:
            return _html_reply(404, "<h1>This onboarding link is not valid.</h1>")
        if method == "POST":
            self._complete_onboarding(self._accounts[account_id])
            return _Reply(303, b"", [("Location", urls["return_url"])])
        page = (
            f"<!doctype html><title>Fake Stripe onboarding</title>"
            f"<h1>Onboarding {html.escape(account_id)}</h1>"
            f'<form method="post"><button type="submit">Submit details</button></form>'
            f'<p><a href="{html.escape(urls["refresh_url"])}">Start over</a></p>'
        )
        return _html_reply(200, page)


def _upper(method: str | None) -> str | None:
    return method.upper() if method else None


def _take(faults: list[_Fault], method: str, path: str) -> _Fault | None:
    for fault in faults:
        if fault.matches(method, path):
            fault.remaining -= 1
            if fault.remaining == 0:
                faults.remove(fault)
            return fault
    return None


def _redact(key: str) -> str:
    return key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "*" * len(key)


def _json_reply(status: int, payload: Mapping[str, Any]) -> _Reply:
    request_id = _new_id("req")
    return _Reply(
        status,
        json.dumps(payload, indent=2).encode(),
        [("Content-Type", "application/json"), ("Request-Id", request_id)],
        request_id,
    )


def _html_reply(status: int, page: str) -> _Reply:
    return _Reply(status, page.encode(), [("Content-Type", "text/html; charset=utf-8")])


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so a dropped response can never be mistaken for a
    # stale keep-alive connection, and stop() leaves no idle connections behind.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        # Read the whole body even when hanging up, so the client sees a clean close, not a reset.
        body = self.rfile.read(length) if length else b""
        fake: FakeStripe = self.server.fake  # type: ignore[attr-defined]
        reply = fake._handle(method, self.path, body, self.headers)
        if reply is not None and (pause := fake._take_pause(method, self.path)) is not None:
            reached, release = pause
            reached.set()
            release.wait(timeout=60)
            reply = None
        if reply is None:
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet; FakeStripe.requests is the log
