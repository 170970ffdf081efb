"""Place names and the adjectives made from them, as the span finder reads them."""

from __future__ import annotations

from index.arabic import normalize
from qa.places import find_place, is_demonym


def test_nationalities_are_told_from_surnames_of_the_same_shape() -> None:
    for word in ("المصري", "الفرنسية", "التونسي", "الروسي", "البريطاني", "السعودي", "الإيراني"):
        assert is_demonym(normalize(word)), word
    for word in ("السيسي", "المرزوقي", "الغنوشي", "الباجي", "الشاهد"):
        assert not is_demonym(normalize(word)), word


def test_countries_known_by_their_short_name() -> None:
    for name in ("روسيا", "إيران", "سوريا", "تركيا", "بريطانيا"):
        text = f"وصل الوفد أمس إلى {name} في زيارة رسمية."
        found = find_place(text)
        assert found is not None and text[found[0] : found[1]] == name, name
