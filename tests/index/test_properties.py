"""Property-based tests: arbitrary Unicode never crashes reading, normalising or splitting."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.arabic import normalize, terms
from index.clean import structure
from index.config import SplitterSettings
from index.reader import Article, read_paths
from index.splitter import Splitter, sentences

# Arabic letters and marks, Latin, digits, punctuation, white space, bidi and zero-width controls.
ALPHABET = st.sampled_from(
    list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىةـًٌٍَُِّْ٠١٢٣٤٥٦٧٨٩")
    + list("abcXYZ0123456789.,;:!?؟،؛()«»\"'-/ ")
    + [
        "\n",
        "\t",
        "\u200f",
        "\u200e",
        "\u202b",
        "\u202c",
        "\u2066",
        "\u2069",
        "\u200b",
        "\ufeff",
        "🙂",
    ]
)
TEXT = st.text(alphabet=ALPHABET, max_size=600) | st.text(max_size=300)


def counter(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) + 1 for t in texts]


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_normalize_and_terms_never_crash(text: str) -> None:
    norm = normalize(text)
    assert normalize(norm) == norm  # idempotent
    assert all(t.strip() for t in terms(text))


@settings(max_examples=200, deadline=None)
@given(TEXT, st.integers(min_value=3, max_value=80))
def test_chunks_round_trip_on_any_text(text: str, budget: int) -> None:
    article = Article(doc_id="x", text=text)
    chunks, _title = Splitter(
        counter, SplitterSettings.model_construct(chunk_tokens=budget, overlap_sentences=1)
    ).split(article)
    for c in chunks:
        assert text[c.start : c.end] == c.text and c.text.strip()
    for s, e in sentences(text):
        assert 0 <= s < e <= len(text)
    for b in structure(text):
        assert text[b.start : b.end].strip()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_reading_arbitrary_bytes_never_crashes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    result = read_paths([path])
    assert len(result.articles) + len(result.skipped) == 1


def test_huge_line_splits_within_budget() -> None:
    text = "كلمة " * 5000
    chunks, _ = Splitter(counter, SplitterSettings(chunk_tokens=100)).split(Article("x", text))
    assert len(chunks) > 40
    assert all(len(c.text.split()) <= 100 for c in chunks)
