"""Encoding backends: selection, fallback, caching of the check, and parity with fp32."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.config import EmbeddingSettings
from index.embedders import BACKENDS, UnknownBackendError, auto, make_backend, torch_bf16
from index.embedders.torch_bf16 import TorchBF16, cpu_flags


class FakeST:
    """Stands in for a SentenceTransformer: deterministic vectors from the text."""

    def encode(self, texts: list[str], **kw: Any) -> Any:
        rows = []
        for t in texts:
            rng = np.random.default_rng(sum(map(ord, t)))
            rows.append(rng.normal(size=16).astype(np.float32))
        out = np.stack(rows)
        if kw.get("convert_to_tensor"):
            import torch

            return torch.from_numpy(out)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_factory_knows_each_backend() -> None:
    assert {make_backend(n).name for n in BACKENDS} == set(BACKENDS)
    with pytest.raises(UnknownBackendError):
        make_backend("int4")


def test_setting_is_validated() -> None:
    assert EmbeddingSettings().backend == "auto"
    with pytest.raises(ValueError):
        EmbeddingSettings(backend="fp8")  # type: ignore[arg-type]


def test_cpu_flags_detection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert "avx512_bf16" in cpu_flags(info)
    assert cpu_flags(tmp_path / "missing") == frozenset()
    torch_bf16.cpu_has_bf16.cache_clear()
    monkeypatch.setattr(torch_bf16, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert torch_bf16.cpu_has_bf16() is False
    torch_bf16.cpu_has_bf16.cache_clear()
    monkeypatch.setattr(torch_bf16, "cpu_flags", lambda: frozenset({"avx512f", "amx_bf16"}))
    assert torch_bf16.cpu_has_bf16() is True
    torch_bf16.cpu_has_bf16.cache_clear()


def test_no_bf16_cpu_falls_back_to_fp32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TorchBF16, "supported", lambda self: False)
    for requested in ("auto", "bf16"):
        choice = auto.choose(FakeST(), "m", requested, cache=None)
        assert choice.backend == "fp32"


def test_backend_that_crashes_is_never_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: Any, model: Any, texts: Any, batch_size: int) -> Any:
        raise RuntimeError("illegal instruction in a kernel")

    monkeypatch.setattr(TorchBF16, "supported", lambda self: True)
    monkeypatch.setattr(TorchBF16, "encode", boom)
    assert auto.choose(FakeST(), "m", "auto", cache=None).backend == "fp32"
    assert auto.choose(FakeST(), "m", "bf16", cache=None).backend == "fp32"


def test_backend_with_other_vectors_fails_parity(monkeypatch: pytest.MonkeyPatch) -> None:
    def skewed(self: Any, model: Any, texts: Any, batch_size: int) -> Any:
        v = np.random.default_rng(0).normal(size=(len(texts), 16)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    monkeypatch.setattr(TorchBF16, "supported", lambda self: True)
    monkeypatch.setattr(TorchBF16, "encode", skewed)
    choice = auto.choose(FakeST(), "m", "auto", cache=None)
    assert choice.backend == "fp32" and choice.parity["bf16"] < auto.PARITY_MIN_COSINE


def test_check_is_cached_per_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "backends.json"
    monkeypatch.setattr(TorchBF16, "supported", lambda self: True)
    first = auto.choose(FakeST(), "m", "auto", cache=cache)
    assert first.backend in BACKENDS and first.parity["bf16"] > 0.99

    def never(*a: Any, **k: Any) -> Any:
        raise AssertionError("measured again")

    monkeypatch.setattr(auto, "measure", never)
    assert auto.choose(FakeST(), "m", "auto", cache=cache) == first
    assert auto.cached_choice("m", "auto", cache) == first
    assert auto.cached_choice("other-model", "auto", cache) is None
    cache.write_text("{not json")
    assert auto.choose(FakeST(), "m", "fp32", cache=cache).backend == "fp32"


def test_backend_is_not_part_of_the_model_identity(tmp_path: Path) -> None:
    from index.embeddings import make_embeddings

    described = {
        make_embeddings(EmbeddingSettings(backend=b, model=str(tmp_path))).describe()["model"]
        for b in ("auto", "fp32", "bf16")
    }
    assert len(described) == 1


def test_runtime_failure_falls_back_to_fp32(monkeypatch: pytest.MonkeyPatch) -> None:
    from index.embeddings import SentenceEmbeddings

    emb = SentenceEmbeddings("unused", backend="bf16")
    emb._st = FakeST()

    class Broken:
        name = "bf16"

        def encode(self, model: Any, texts: Any, batch_size: int) -> Any:
            raise RuntimeError("oneDNN: unsupported")

    emb._backend = Broken()  # type: ignore[assignment]
    vectors = emb.encode_passages(["نص"])
    assert vectors.shape == (1, 16) and emb.backend.name == "fp32"


@pytest.mark.slow
def test_bf16_parity_with_fp32_on_the_real_model(embeddings: Any) -> None:
    if not TorchBF16().supported():
        pytest.skip("this CPU has no bf16 instructions (auto uses fp32 here)")
    texts = auto.probe_texts()
    fp32 = make_backend("fp32").encode(embeddings.st, texts, 8)
    bf16 = make_backend("bf16").encode(embeddings.st, texts, 8)
    low, mean = auto.min_mean_cosine(bf16, fp32)
    assert low >= 0.999 and mean >= 0.9999
    assert bf16.dtype == np.float32
    assert np.allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_auto_on_the_real_model_picks_a_backend_that_passes(
    embeddings: Any, tmp_path: Path
) -> None:
    choice = auto.choose(embeddings.st, embeddings.model_id, "auto", cache=tmp_path / "c.json")
    assert choice.backend in BACKENDS
    if choice.backend != "fp32":
        assert choice.parity[choice.backend] >= auto.PARITY_MIN_COSINE


def test_light_runtime_only_for_plain_bert_folders(tmp_path: Path) -> None:
    import json

    from index.embedders import numpy_bert

    assert not numpy_bert.supports(tmp_path)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_act": "gelu"}))
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_mean_tokens": True})
    )
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "tokenizer.json").write_text("{}")
    assert numpy_bert.supports(tmp_path)
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True})
    )
    assert not numpy_bert.supports(tmp_path)


def test_erf_matches_math_erf() -> None:
    import math

    from index.embedders.numpy_bert import _erf

    x = np.linspace(-6, 6, 2001).astype(np.float32)
    expected = np.array([math.erf(float(v)) for v in x])
    assert np.max(np.abs(_erf(x) - expected)) < 1e-6


@pytest.mark.slow
def test_light_runtime_gives_the_torch_models_vectors(embeddings: Any) -> None:
    from index.embedders.numpy_bert import NumpyBert

    light = NumpyBert(Path(embeddings.model))
    texts = ["query: من توسط في هدنة نوفمبر؟", *auto.probe_texts()[:6]]
    low, _ = auto.min_mean_cosine(
        light.encode_texts(texts), make_backend("fp32").encode(embeddings.st, texts, 8)
    )
    assert low >= 0.9999
    sample = ["هل أغلق معبر رفح؟", "The ministry said so."]
    assert light.count_tokens(sample) == embeddings.count_tokens(sample)


@pytest.mark.slow
def test_one_shot_ask_never_imports_torch(seeds_index: Path) -> None:
    import subprocess
    import sys

    from ..conftest import ROOT

    script = (
        "import sys\n"
        "from akhbar.cli import app\n"
        f"sys.argv = ['akhbar', 'ask', 'من توسط في هدنة نوفمبر؟', '--json', '--index-dir', {str(seeds_index)!r}]\n"
        "try:\n"
        "    app(standalone_mode=False)\n"
        "finally:\n"
        "    sys.stderr.write('TORCH=%s\\n' % ('torch' in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert '"found": true' in out.stdout
    assert "TORCH=False" in out.stderr


@pytest.mark.slow
def test_numpy_runtime_is_let_go_once_torch_is_loaded() -> None:
    import gc
    import weakref

    from akhbar.settings import Settings
    from index.embeddings import make_embeddings

    emb = make_embeddings(Settings().embedding)
    question = ["من توسط في هدنة نوفمبر؟"]
    before = emb.encode_queries(question)  # a one-shot question: the numpy runtime answers
    light = emb.light
    assert light is not None
    runtime = weakref.ref(light)
    del light
    emb.warm_up()
    gc.collect()
    # Its weights (hundreds of MB) would otherwise stay resident for the life of a server or
    # a whole index build beside torch's.
    assert runtime() is None
    after = emb.encode_queries(question)
    assert float(before[0] @ after[0]) >= 0.9999


@pytest.mark.slow
def test_batches_are_padded_to_few_shapes_with_the_same_vectors(embeddings: Any) -> None:
    # Texts of every length from 1 to 60 words, batched as the indexer does (sorted by length).
    texts = ["passage: " + " ".join(["كلمة"] * n) for n in range(1, 61)]
    shapes = {
        embeddings.st.preprocess(texts[a : a + 4])["input_ids"].shape[1]
        for a in range(0, len(texts), 4)
    }
    assert all(s % embeddings.pad_multiple == 0 for s in shapes)
    # Unpadded, each of the 15 batches would have a length of its own.
    assert embeddings.pad_multiple > 1 and len(shapes) < 15
    # Padded positions are masked: a text's vector does not depend on its batch's padding.
    alone = make_backend("fp32").encode(embeddings.st, texts[:1], 1)
    padded = make_backend("fp32").encode(embeddings.st, texts[:1] + texts[-1:], 2)[:1]
    assert float(alone[0] @ padded[0]) >= 0.9999
