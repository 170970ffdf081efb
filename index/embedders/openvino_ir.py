"""OpenVINO: the model exported once to an OpenVINO IR, run in bf16 where the CPU has it, else f32."""

from __future__ import annotations

import atexit
import gc
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import threading
import warnings
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelError
from index.files import first_altered_file, fsync_dir, sha256_file

log = logging.getLogger(__name__)

EXPORT_FILE = "akhbar-export.json"
"""The export's record: source model, OpenVINO version, pooling, file hashes."""
IR_XML, IR_BIN = "model.xml", "model.bin"
_POOLING = ("mean", "cls")
STREAMS = 2
"""Inference streams (each with its share of the threads) working on one batch together."""

_compiled: dict[tuple[str, str, int], tuple[Any, str]] = {}
"""Compiled models (with their pooling mode) by export folder or model, precision, threads."""
_compile_lock = threading.Lock()


class UnsupportedModelError(ModelError):
    """A sentence-transformers model whose modules this backend does not reproduce."""


def release_compiled() -> None:
    """Drop the compiled models; registered to run at exit.

    Their worker threads are then joined while the runtime is still whole; left to the end of
    the process, OpenVINO can abort in its static destructors ("terminate called without an
    active exception").
    """
    with _compile_lock:
        _compiled.clear()
    gc.collect()


def openvino_available() -> bool:
    """Whether the `openvino` package is installed (imports nothing)."""
    try:
        return find_spec("openvino") is not None
    except (ImportError, ValueError):
        return False


def _import_openvino() -> Any:
    # OpenVINO's model converter reports each conversion over the network unless a consent
    # file says no; akhbar runs offline and writes nothing to the user's home for it, so the
    # converter gets its own no-op stand-in (it falls back to one when the package is absent).
    if "openvino" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    import openvino

    return openvino


def export_dir_for(root: Path, model_id: str) -> Path:
    """The folder holding the export of one model under `root`.

    Args:
        root: The exports' root folder.
        model_id: The model's identity (name and version).

    Returns:
        `root/<readable name>-<hash of the identity>`.
    """
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_id).strip("-")[:48] or "model"
    digest = hashlib.sha256(model_id.encode()).hexdigest()[:12]
    return Path(root) / f"{slug}-{digest}"


def pooling_of(st: Any) -> tuple[str, bool]:
    """How the model turns token vectors into one: (`mean` or `cls`, whether it normalises).

    Args:
        st: A loaded `SentenceTransformer`.

    Returns:
        The pooling mode and whether a `Normalize` module follows.

    Raises:
        UnsupportedModelError: Any other layout than transformer, pooling, optional normalise.
    """
    modules = list(st)
    names = [type(m).__name__ for m in modules]
    if len(modules) not in (2, 3) or names[:2] != ["Transformer", "Pooling"]:
        raise UnsupportedModelError(f"modules {names}: not transformer + pooling")
    if len(modules) == 3 and names[2] != "Normalize":
        raise UnsupportedModelError(f"modules {names}: not transformer + pooling + normalise")
    pooling = modules[1]
    mode = getattr(pooling, "pooling_mode", None)
    if mode is None:  # sentence-transformers < 6: one flag per mode
        flags = [m for m in _POOLING if getattr(pooling, f"pooling_mode_{m}_tokens", False)]
        if getattr(pooling, "pooling_mode_cls_token", False):
            flags.append("cls")
        mode = flags[0] if len(flags) == 1 else None
    if mode not in _POOLING:
        raise UnsupportedModelError(f"pooling {mode!r}: only mean or cls")
    if mode == "mean" and not getattr(pooling, "include_prompt", True):
        raise UnsupportedModelError("pooling that leaves the prompt out")
    return str(mode), len(modules) == 3


def fingerprint(st: Any) -> str:
    """A cheap hash of the transformer's weights (names, shapes, first values of each).

    Tells a stale export apart when a model folder's contents change under the same name.

    Args:
        st: A loaded `SentenceTransformer`.

    Returns:
        16 hex digits.
    """
    import torch

    digest = hashlib.sha256()
    with torch.inference_mode():
        for name, tensor in st[0].auto_model.state_dict().items():
            head = tensor.detach().reshape(-1)[:64].float().numpy().tobytes()
            digest.update(f"{name}{tuple(tensor.shape)}".encode())
            digest.update(head)
    return digest.hexdigest()[:16]


def export(st: Any, model_id: str, folder: Path) -> Path:
    """Convert a loaded model's transformer to an OpenVINO IR in `folder`, all or nothing.

    The weights stay float32 (precision is chosen when the model is compiled), so the same
    export serves bf16 and f32 CPUs. Written into a temporary folder beside `folder` and moved
    into place, with a record of the model, the OpenVINO version and every file's sha256.

    Args:
        st: The loaded `SentenceTransformer`.
        model_id: Its identity, recorded and checked on load.
        folder: Where the export goes (replaced if present).

    Returns:
        `folder`.

    Raises:
        UnsupportedModelError: A model this backend cannot run.
    """
    mode, _ = pooling_of(st)
    ov = _import_openvino()
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        converted, inputs = _convert(ov, st)
        ov.save_model(converted, tmp / IR_XML, compress_to_fp16=False)
        record = {
            "model": model_id,
            "weights": fingerprint(st),
            "openvino": str(ov.get_version()),
            "pooling": mode,
            "inputs": inputs,
            "files": {name: sha256_file(tmp / name) for name in (IR_XML, IR_BIN)},
        }
        (tmp / EXPORT_FILE).write_text(json.dumps(record, indent=1), encoding="utf-8")
        for name in (IR_XML, IR_BIN, EXPORT_FILE):
            with (tmp / name).open("rb") as fh:
                os.fsync(fh.fileno())
        old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        fsync_dir(folder.parent)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("exported %s to OpenVINO in %s", model_id, folder)
    return folder


def read_export(folder: Path, model_id: str) -> dict[str, Any]:
    """The export's record after checking it belongs to `model_id` and is unaltered.

    Args:
        folder: The export folder.
        model_id: The model it must have been made from.

    Returns:
        The record.

    Raises:
        ModelError: Missing, from another model, or altered since it was written.
    """
    try:
        record = json.loads((Path(folder) / EXPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"no readable OpenVINO export in {folder}: {exc}") from exc
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
        raise ModelError(f"OpenVINO export in {folder}: unreadable {EXPORT_FILE}")
    if record.get("model") != model_id:
        raise ModelError(f"OpenVINO export in {folder} is of {record.get('model')!r}")
    if set(record["files"]) != {IR_XML, IR_BIN} or record.get("pooling") not in _POOLING:
        raise ModelError(f"OpenVINO export in {folder}: incomplete record")
    memo = folder.with_name(f".{folder.name}.verified.json")
    bad = first_altered_file(folder, record["files"], memo)
    if bad is not None:
        raise ModelError(f"OpenVINO export in {folder}: {bad[0]} {bad[1]}")
    return record


def ensure_export(st: Any, model_id: str, folder: Path) -> dict[str, Any]:
    """The checked export of `st` in `folder`, made (again) when missing, stale or altered.

    Args:
        st: The loaded `SentenceTransformer`.
        model_id: Its identity.
        folder: The export folder.

    Returns:
        The export's record.
    """
    from filelock import FileLock

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.with_name(f".{folder.name}.lock"))):
        try:
            record = read_export(folder, model_id)
            if record.get("weights") == fingerprint(st):
                return record
            raise ModelError(f"OpenVINO export in {folder} is of other weights")
        except ModelError as exc:
            if folder.exists():
                log.warning("OpenVINO export unusable (%s); exporting again", exc)
            else:
                log.warning("exporting the embedding model to OpenVINO (once, ~10 s)")
        export(st, model_id, folder)
        return read_export(folder, model_id)


def _features(st: Any, texts: Sequence[str]) -> dict[str, Any]:
    """Tokenised, padded batch exactly as sentence-transformers makes it for this model."""
    preprocess = getattr(st, "preprocess", None)
    if preprocess is not None:
        return dict(preprocess(list(texts)))
    return dict(st.tokenize(list(texts)))  # sentence-transformers < 6


class OpenVINO:
    """The model's transformer run by OpenVINO's CPU plugin; pooling and normalising in numpy.

    Compiled with bf16 inference precision on CPUs with AVX512-BF16 or AMX, f32 elsewhere;
    tokenisation (including the batch padding setting) is sentence-transformers' own.
    """

    name = "openvino"

    def __init__(
        self, export_root: Path | None = None, model_id: str | None = None, threads: int = 0
    ) -> None:
        """Describe the backend (cheap: imports nothing heavy).

        Args:
            export_root: Where exports are kept (None: convert in memory in every process).
            model_id: The model's identity, the export's key.
            threads: CPU threads (0: OpenVINO's default, one per core).
        """
        self.export_root = export_root
        self.model_id = model_id
        self.threads = threads

    def supported(self) -> bool:
        """Where the `openvino` package is installed."""
        return openvino_available()

    @property
    def precision(self) -> str:
        """`bf16` on CPUs with bf16 instructions, else `f32`."""
        from index.embedders.torch_bf16 import cpu_has_bf16

        return "bf16" if cpu_has_bf16() else "f32"

    def _compiled(self, st: Any) -> tuple[Any, str]:
        model_id = self.model_id or f"in-memory:{id(st)}"
        if self.export_root is not None:
            folder = export_dir_for(self.export_root, model_id)
            key: tuple[str, str, int] = (str(folder), self.precision, self.threads)
        else:
            folder, key = None, (model_id, self.precision, self.threads)
        with _compile_lock:
            cached = _compiled.get(key)
            if cached is None:
                mode, _ = pooling_of(st)
                ov = _import_openvino()
                core = ov.Core()
                if folder is not None:
                    ensure_export(st, model_id, folder)
                    model = core.read_model(folder / IR_XML)
                else:
                    model, _ = _convert(ov, st)
                # Two streams, each a share of the threads, each running half of a batch: on two
                # cores they encoded 6,799 tokens/s where one stream on whole batches did 5,835
                # (bench/embedders.py, docs/benchmarks.md).
                config: dict[str, Any] = {
                    "INFERENCE_PRECISION_HINT": self.precision,
                    "PERFORMANCE_HINT": "THROUGHPUT",
                    "NUM_STREAMS": STREAMS if (os.cpu_count() or 1) >= STREAMS else 1,
                }
                if self.threads:
                    config["INFERENCE_NUM_THREADS"] = self.threads
                compiled = core.compile_model(model, "CPU", config)
                if not _compiled:
                    atexit.register(release_compiled)
                cached = _compiled[key] = (compiled, mode)
        return cached

    def encode(self, model: Any, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """See `EncoderBackend.encode`."""
        compiled, mode = self._compiled(model)
        inputs = {port.get_any_name() for port in compiled.inputs}
        streams = max(1, int(compiled.get_property("NUM_STREAMS")))
        step = max(1, -(-batch_size // streams))  # each stream takes a share of a batch
        order = sorted(range(len(texts)), key=lambda k: -len(texts[k]))
        out = np.zeros((len(texts), int(model.get_embedding_dimension())), dtype=np.float32)
        # One infer request a stream, started and waited for from this thread: no Python
        # callback runs on OpenVINO's threads (one that waits for the GIL there deadlocks the
        # process when a compiled model is released while this thread holds it).
        requests = [compiled.create_infer_request() for _ in range(streams)]
        running: list[tuple[Any, list[int], np.ndarray] | None] = [None] * streams

        def collect(slot: int) -> None:
            job = running[slot]
            if job is None:
                return
            request, part, mask = job
            running[slot] = None
            request.wait()
            hidden = request.get_output_tensor(0).data
            if mode == "mean":
                summed = np.einsum("bt,btd->bd", mask, hidden)
                out[part] = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
            else:
                out[part] = hidden[:, 0, :]

        try:
            for n, start in enumerate(range(0, len(order), step)):
                slot = n % streams
                part = order[start : start + step]
                feats = _features(model, [texts[k] for k in part])
                feed = {k: np.asarray(v.numpy()) for k, v in feats.items() if k in inputs}
                collect(slot)  # the request's previous share, before it takes this one
                requests[slot].start_async(feed)
                running[slot] = (requests[slot], part, feed["attention_mask"].astype(np.float32))
            for slot in range(streams):
                collect(slot)
        finally:
            for job in running:  # after an error: let nothing run on into freed buffers
                if job is not None:
                    job[0].wait()
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def _convert(ov: Any, st: Any) -> tuple[Any, list[str]]:
    """The model's transformer as an OpenVINO model (traced on a short Arabic batch).

    Returns:
        The converted model and the names of its inputs.
    """
    import torch

    example = {
        k: v
        for k, v in _features(st, ["passage: تجربة", "passage: مثال أطول قليلا"]).items()
        if isinstance(v, torch.Tensor)
    }
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracing warnings about data-dependent branches
        return ov.convert_model(st[0].auto_model, example_input=example), sorted(example)
