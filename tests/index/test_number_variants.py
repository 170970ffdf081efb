"""A noun asked about in one number matches the other: singular ↔ broken plural."""

from __future__ import annotations

import pytest

from index.arabic import normalize, number_variants, stem

# Common news nouns and their broken plurals, one pair per template.
PAIRS = [
    ("مقعد", "مقاعد"),
    ("وزير", "وزراء"),
    ("قتيل", "قتلى"),
    ("جريح", "جرحى"),
    ("حقيبة", "حقائب"),
    ("رسالة", "رسائل"),
    ("مدرسة", "مدارس"),
    ("مشروع", "مشاريع"),
    ("شارع", "شوارع"),
    ("عاصمة", "عواصم"),
]


def _stems(word: str, towards: str = "") -> set[str]:
    return {stem(v) for v in number_variants(normalize(word), towards)}


@pytest.mark.parametrize(("singular", "plural"), PAIRS)
def test_each_number_finds_the_other(singular: str, plural: str) -> None:
    assert stem(normalize(plural)) in _stems(singular, "plural")
    assert stem(normalize(singular)) in _stems(plural, "singular")
    assert stem(normalize(plural)) not in _stems(singular, "singular")


@pytest.mark.parametrize("word", ["بمقعدين", "مقعدا", "والمقاعد", "للوزراء", "قتيلا", "الشوارع"])
def test_clitics_and_case_endings_do_not_hide_the_noun(word: str) -> None:
    assert number_variants(normalize(word))


def test_a_singular_reaches_the_plural_shapes_verbal_nouns_share_but_not_back() -> None:
    # «أحزاب» is the plural of «حزب»; «إغلاق» and «دخول» are verbal nouns, not plurals.
    assert stem(normalize("أحزاب")) in _stems("حزب")
    assert number_variants(normalize("إغلاق")) == ()
    assert number_variants(normalize("دخول")) == ()
    # «أخرى» and «الأولى» are no plurals of «أخير» or «أويل».
    assert number_variants(normalize("أخرى")) == ()
    assert number_variants(normalize("الأولى")) == ()
