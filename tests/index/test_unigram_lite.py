"""The quick tokenizer of one-shot questions: the model's own token ids, or the text handed back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedders import unigram_lite
from index.embedders.numpy_bert import NumpyBert

from ..conftest import EVAL, ROOT


def _real(folder: Path) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(512)
    return tok


@pytest.fixture(scope="module")
def folder(embeddings: Any) -> Path:
    return Path(embeddings.model)


@pytest.fixture(scope="module")
def lite(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> unigram_lite.LiteUnigram:
    cache = tmp_path_factory.mktemp("tokenizers")
    built = unigram_lite.load_or_build(folder / "tokenizer.json", cache, lambda: _real(folder))
    assert built is not None
    return built


def _questions(name: str, limit: int) -> list[str]:
    path = EVAL / name
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:limit]]
    return [row["question"] for row in rows]


def test_same_ids_as_the_model_tokenizer_on_real_text(
    folder: Path, lite: unigram_lite.LiteUnigram
) -> None:
    real = _real(folder)
    texts = [
        line
        for path in sorted((ROOT / "seeds").iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    texts += _questions("news_dev.jsonl", 100) + _questions("arcd-train.questions.jsonl", 400)
    texts += [
        "مين اللي وقّع الاتفاق؟",
        "شنوة صار في تونس امبارح؟",
        "قديش عدد الضحايا ؟؟",
        "من رئيس الوزراء الاسرائيلي نتنياهو",  # loose spelling
        "ما هي نسبة التضخم في مصر (CPI) لعام 2023م؟",
        "Who mediated the November truce in Gaza?",
        "اَلْسَّلَامُ عَلَيْكُمْ — «مرحبا» …",
    ]
    covered = 0
    for text in texts:
        for prompt in ("query: ", "passage: "):
            mine = lite.encode(prompt + text, 512)
            if mine is None:
                continue
            covered += 1
            assert mine == real.encode(prompt + text).ids, text
    assert covered >= 0.98 * 2 * len(texts)


def test_texts_it_does_not_cover_are_handed_back(lite: unigram_lite.LiteUnigram) -> None:
    assert lite.encode("query: 한국어 뉴스", 512) is None  # Hangul clusters
    assert lite.encode("query: سطر\r\nسطر", 512) is None  # CR LF is one cluster
    assert lite.encode("query: <s> ما هذا", 512) is None  # a special token in the text
    assert lite.encode("", 512) is None
    assert lite.encode("query: سؤال", 512) is not None


def test_numpy_runtime_gives_the_same_vectors_with_it(folder: Path, tmp_path: Path) -> None:
    texts = [
        "query: من توسط في هدنة نوفمبر؟",
        "query: 한국어 뉴스 عن غزة",
        "passage: " + "خبر " * 600,
    ]
    quick = NumpyBert(folder, tokenizer_cache=tmp_path)
    plain = NumpyBert(folder)
    assert np.array_equal(quick.encode_texts(texts), plain.encode_texts(texts))
    assert quick._lite is not None  # it was used (and the uncovered text went to tokenizers)


def test_cache_is_reused_and_a_damaged_one_rebuilt(folder: Path, tmp_path: Path) -> None:
    source = folder / "tokenizer.json"
    assert unigram_lite.load_or_build(source, tmp_path) is None  # no cache, nothing to build with
    calls: list[int] = []

    def real() -> Any:
        calls.append(1)
        return _real(folder)

    first = unigram_lite.load_or_build(source, tmp_path, real)
    assert first is not None and calls == [1]
    (cached,) = tmp_path.iterdir()
    again = unigram_lite.load_or_build(source, tmp_path)  # from the file alone
    assert again is not None
    assert again.encode("query: هل أغلق معبر رفح؟", 512) == first.encode(
        "query: هل أغلق معبر رفح؟", 512
    )
    cached.write_bytes(cached.read_bytes()[:5000])
    assert unigram_lite.load_or_build(source, tmp_path) is None
    rebuilt = unigram_lite.load_or_build(source, tmp_path, real)
    assert rebuilt is not None and calls == [1, 1]
    assert rebuilt.encode("query: سؤال", 512) == first.encode("query: سؤال", 512)


def test_a_tokenizer_that_disagrees_on_a_probe_is_never_used(folder: Path, tmp_path: Path) -> None:
    class Skewed:
        """The real tokenizer, except that it reads tā' marbūṭa differently."""

        def __init__(self) -> None:
            self._tok = _real(folder)
            self.normalizer = self._tok.normalizer

        def encode(self, text: str) -> Any:
            out = self._tok.encode(text)
            if "ة" in text:
                return type("E", (), {"ids": [*out.ids[:-1], 5, out.ids[-1]]})()
            return out

    source = folder / "tokenizer.json"
    assert unigram_lite.load_or_build(source, tmp_path, Skewed) is None
    # The verdict is remembered for this tokenizer.json: no second probe run.
    assert unigram_lite.load_or_build(source, tmp_path, lambda: pytest.fail("probed again")) is None


def test_unwritable_cache_costs_only_speed(folder: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    built = unigram_lite.load_or_build(folder / "tokenizer.json", blocker, lambda: _real(folder))
    assert built is not None
    assert built.encode("query: سؤال", 512) == _real(folder).encode("query: سؤال").ids
