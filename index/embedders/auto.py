"""Pick the fastest encoding backend whose vectors match fp32's on a fixed Arabic probe set."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders import BACKENDS, make_backend
from index.protocols import EncoderBackend

log = logging.getLogger(__name__)

PARITY_MIN_COSINE = 0.99
"""A backend passes when every probe vector is at least this close (cosine) to fp32's."""

PROBE = (
    "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة بسعة مئتي سرير.",
    "ارتفعت أسعار النفط في الأسواق العالمية بعد قرار خفض الإنتاج.",
    "قال المتحدث باسم الحكومة إن المفاوضات ستستأنف الأسبوع المقبل في القاهرة.",
    "فاز المنتخب الوطني على نظيره بثلاثة أهداف مقابل هدف واحد في المباراة النهائية.",
    "شهدت المدينة أمطاراً غزيرة أدت إلى إغلاق عدد من الطرق الرئيسية.",
    "وقع البلدان اتفاقية للتعاون في مجالات الطاقة المتجددة والتعليم والنقل.",
    "أكد وزير التعليم أن العام الدراسي سيبدأ في موعده المحدد في شهر سبتمبر.",
    "من توسط في الهدنة بين الطرفين، ومتى دخلت حيز التنفيذ؟",
    "تراجع معدل البطالة إلى أدنى مستوى له منذ عشر سنوات بحسب الإحصاءات الرسمية.",
    "The ministry said the new bridge will open to traffic next spring.",
    "افتتح المعرض الدولي للكتاب أبوابه بمشاركة أكثر من ألف دار نشر من أربعين دولة.",
    "أشار التقرير إلى أن صادرات المملكة غير النفطية نمت بنسبة اثني عشر في المئة خلال الربع الأول.",
)
"""Fixed probe sentences (news-like Arabic plus one English line), not from any eval set."""


@dataclass
class Choice:
    """The backend chosen for a model on this machine, and the measurements behind it."""

    backend: str
    reason: str
    parity: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def probe_texts(prompt: str = "passage: ") -> list[str]:
    """The probe set as passages of typical chunk length (sentences joined, ~150-200 tokens).

    Args:
        prompt: The passage prompt.

    Returns:
        Probe texts.
    """
    n = len(PROBE)
    texts = [p for p in PROBE]
    texts += [" ".join(PROBE[(i + j) % n] for j in range(6)) for i in range(0, n, 2)]
    return [prompt + t for t in texts]


def min_mean_cosine(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Row-wise cosine of two vector sets.

    Args:
        a: `(n, d)` vectors.
        b: `(n, d)` vectors.

    Returns:
        Minimum and mean cosine.
    """
    an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    bn = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    cos = (an * bn).sum(axis=1)
    return float(cos.min()), float(cos.mean())


def machine_key(model_id: str) -> str:
    """What the choice depends on: the model, the CPU and the torch and OpenVINO builds.

    Args:
        model_id: The model identity.

    Returns:
        A short hash.
    """
    from index.embedders.torch_bf16 import cpu_flags

    try:
        import torch

        torch_version = str(torch.__version__)
    except ImportError:  # pragma: no cover - torch is a core dependency
        torch_version = "?"
    from importlib.metadata import PackageNotFoundError, version

    try:
        openvino_version = version("openvino")
    except PackageNotFoundError:
        openvino_version = "-"
    parts = [
        model_id,
        torch_version,
        openvino_version,
        platform.machine(),
        " ".join(sorted(cpu_flags())),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _timed(backend: EncoderBackend, model: Any, texts: list[str], batch_size: int) -> Any:
    start = time.perf_counter()
    vectors = backend.encode(model, texts, batch_size)
    return vectors, time.perf_counter() - start


def measure(
    model: Any,
    candidates: list[str],
    batch_size: int = 8,
    rounds: int = 2,
    prefer: str | None = None,
    factory: Callable[[str], EncoderBackend] = make_backend,
) -> Choice:
    """Check each candidate against fp32 on the probe set and time them, interleaved.

    Args:
        model: A loaded `SentenceTransformer`.
        candidates: Backend names to try besides fp32 (unsupported ones are skipped).
        batch_size: Texts per forward pass.
        rounds: Timing rounds (the fastest round counts).
        prefer: Take this backend if it passes parity, whatever its speed.
        factory: Makes a backend from its name.

    Returns:
        The fastest backend that passes parity (fp32 if none does, or none is faster).
    """
    texts = probe_texts()
    fp32 = factory("fp32")
    backends: dict[str, EncoderBackend] = {"fp32": fp32}
    for name in candidates:
        backend = factory(name)
        if name != "fp32" and backend.supported():
            backends[name] = backend
    if len(backends) == 1:
        return Choice("fp32", "no other backend is supported on this CPU")
    fp32.encode(model, texts[:2], batch_size)  # warm-up
    reference, _ = _timed(fp32, model, texts, batch_size)
    seconds = {name: float("inf") for name in backends}
    parity: dict[str, float] = {"fp32": 1.0}
    failed: dict[str, str] = {}
    for _ in range(rounds):
        for name, backend in backends.items():
            if name in failed:
                continue
            try:
                vectors, took = _timed(backend, model, texts, batch_size)
            except Exception as exc:
                failed[name] = f"{type(exc).__name__}: {exc}"
                log.warning("embedding backend %s failed its check: %s", name, exc)
                continue
            seconds[name] = min(seconds[name], took)
            if name != "fp32":
                parity[name] = min(parity.get(name, 1.0), min_mean_cosine(vectors, reference)[0])
    passing = [n for n in backends if n not in failed and parity.get(n, 0.0) >= PARITY_MIN_COSINE]
    if prefer in passing:
        reason = f"set, and passes parity (min cosine to fp32 >= {PARITY_MIN_COSINE})"
        return Choice(prefer, reason, parity=parity, seconds=dict(seconds))
    best = min(passing, key=lambda n: seconds[n])
    reason = f"fastest passing parity (min cosine to fp32 >= {PARITY_MIN_COSINE}) on the probe set"
    return Choice(best, reason, parity=parity, seconds={k: v for k, v in seconds.items()})


def choose(
    model: Any,
    model_id: str,
    requested: str,
    cache: Path | None = None,
    batch_size: int = 8,
    factory: Callable[[str], EncoderBackend] = make_backend,
) -> Choice:
    """Resolve a backend setting to a concrete backend for this machine; never raises.

    `fp32` is taken as is. `bf16` or `openvino` is used when it runs here and its vectors
    pass the parity check, else fp32 with a warning. `auto` is the fastest backend that passes
    the check. Checks are cached per model, CPU and torch build in `cache`.

    Args:
        model: A loaded `SentenceTransformer`.
        model_id: Its identity (cache key).
        requested: `auto`, `fp32`, `bf16` or `openvino`.
        cache: JSON file for the cached checks (None: no cache).
        batch_size: Texts per forward pass in the check.
        factory: Makes a backend from its name.

    Returns:
        The choice.
    """
    if requested == "fp32":
        return Choice("fp32", "set by AKHBAR_EMBEDDING__BACKEND")
    cached = cached_choice(model_id, requested, cache)
    if cached is not None:
        return cached
    candidates = _candidates(requested)
    key = _key(model_id, candidates)
    log.warning("checking embedding backends %s on this CPU (once)", ", ".join(candidates))
    try:
        choice = measure(
            model,
            candidates,
            batch_size,
            prefer=None if requested == "auto" else requested,
            factory=factory,
        )
    except Exception as exc:
        log.warning("backend check failed (%s); using fp32", exc)
        return Choice("fp32", f"backend check failed: {exc}")
    if requested != "auto" and choice.backend != requested:
        log.warning("embedding backend %s unusable here (%s)", requested, choice.reason)
    _write_cache(cache, key, choice)
    log.info("embedding backend %s (%s)", choice.backend, choice.reason)
    return choice


def _candidates(requested: str) -> list[str]:
    return list(BACKENDS) if requested == "auto" else [requested]


def _key(model_id: str, candidates: list[str]) -> str:
    return f"{machine_key(model_id)}:{','.join(candidates)}"


def cached_choice(model_id: str, requested: str, cache: Path | None) -> Choice | None:
    """The remembered choice for this model and machine, without measuring anything.

    Args:
        model_id: The model identity.
        requested: `auto`, `fp32`, `bf16` or `openvino`.
        cache: The JSON cache file.

    Returns:
        The choice, or None if this machine has not been checked.
    """
    if requested == "fp32":
        return Choice("fp32", "set by AKHBAR_EMBEDDING__BACKEND")
    entry = _read_cache(cache).get(_key(model_id, _candidates(requested)))
    if not isinstance(entry, dict):
        return None
    try:
        choice = Choice(**entry)
    except TypeError:
        return None
    return choice if choice.backend in BACKENDS else None


def _read_cache(cache: Path | None) -> dict[str, Any]:
    if cache is None:
        return {}
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(cache: Path | None, key: str, choice: Choice) -> None:
    if cache is None:
        return
    try:
        data = _read_cache(cache)
        data[key] = asdict(choice)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError as exc:
        log.warning("cannot cache the backend choice in %s: %s", cache, exc)
