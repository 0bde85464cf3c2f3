"""Sentence embeddings, remembered.

Embedding a question takes ~20 ms, but a help centre's articles take ~1 ms per word: a
500-article help centre is about a minute of work. So every vector is kept twice, under the
SHA-256 of the model's name and the text: in this process (a bounded memo) and in a
VectorStore the app provides (tickets keeps them in the database, so a new process or
machine reads the vectors of unchanged articles instead of computing them again). This
package stays free of Django: without a configured store only the memo is used.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from tickets.assistant import minilm

MODEL = minilm.MODEL_NAME
DIMENSIONS = minilm.DIMENSIONS
MEMO_SIZE = 50_000  # ~75 MB of vectors at most


class VectorStore(Protocol):
    def load(self, digests: Sequence[str]) -> dict[str, bytes]: ...

    def save(self, vectors: dict[str, bytes]) -> None: ...


_store: VectorStore | None = None
_memo: OrderedDict[str, np.ndarray] = OrderedDict()
_memo_lock = threading.Lock()


def configure(*, store: VectorStore | None) -> None:
    global _store
    _store = store


def digest(text: str) -> str:
    return hashlib.sha256(f"{MODEL}\n{text}".encode()).hexdigest()


def _remember(key: str, vector: np.ndarray) -> None:
    _memo[key] = vector
    _memo.move_to_end(key)
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)


def embed(texts: Sequence[str], *, use_store: bool = True) -> np.ndarray:
    """One unit-length float32 row per text, computed only for texts never seen before.

    Questions pass use_store=False: they are rarely asked twice word for word, and
    keeping them would fill the memo and the store with vectors of customers' messages.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    keys = [digest(text) for text in texts]
    found: dict[str, np.ndarray] = {}
    with _memo_lock:
        for key in keys:
            if key in _memo:
                found[key] = _memo[key]
    missing = [key for key in dict.fromkeys(keys) if key not in found]
    if missing and use_store and _store is not None:
        for key, raw in _store.load(missing).items():
            vector = np.frombuffer(raw, dtype=np.float32)
            if vector.shape == (DIMENSIONS,):
                found[key] = vector
    to_compute = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
    if to_compute:
        computed = minilm.encode(list(to_compute.values()))
        fresh = dict(zip(to_compute, computed, strict=True))
        found.update(fresh)
        if use_store and _store is not None:
            _store.save({key: vector.astype(np.float32).tobytes() for key, vector in fresh.items()})
    if use_store:
        with _memo_lock:
            for key in missing:
                _remember(key, found[key])
    return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)


def persist(digests: Sequence[str]) -> int:
    """Make sure the store holds these vectors (those this process knows): a process that
    found them in its memo never wrote them. Returns how many were written."""
    if _store is None:
        return 0
    wanted = list(dict.fromkeys(digests))
    stored = _store.load(wanted)
    with _memo_lock:
        missing = {
            key: _memo[key].astype(np.float32).tobytes()
            for key in wanted
            if key not in stored and key in _memo
        }
    if missing:
        _store.save(missing)
    return len(missing)
