"""One canonical form for Chinese technical text, however it was typed.

Matching compares what an enterprise wrote with what a craftsman's record says, so the same
word must look the same on both sides. `normalise` applies, in order:

1. Unicode NFKC: full-width letters, digits and punctuation become half-width
   ("ＣＫ６１５０" → "CK6150", "（" → "("), compatibility ideographs unfold.
2. Traditional → simplified Chinese, character by character, from the table shipped in
   `data/t2s_chars.txt` (OpenCC's character table). Character level is enough here: documents
   and queries go through the same function, so an ambiguous character ("乾") is mapped the
   same way on both sides.
3. Latin letters lower-cased; every kind of dash becomes "-".
4. Model numbers become one token: a hyphen/underscore chain of letters and digits is joined
   ("s7-1200" → "s71200", "0i-mf" → "0imf"), and a short letter prefix (1–4 letters) followed
   by digits after at most a space or a dash is joined too ("ck 6150" → "ck6150"). Chains of
   digits only ("2019-2021") are not model numbers and are left apart.
5. Other punctuation and symbols separate words: they become a space; a "." between digits
   ("0.02") stays. Whitespace is collapsed and trimmed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

T2S_TABLE_PATH = Path(__file__).resolve().parent / "data" / "t2s_chars.txt"

# Hyphen-like characters left after NFKC (NFKC keeps U+2010–U+2015 and U+2212 as they are).
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣", "-"))
# An alphanumeric chain joined by "-" or "_" that holds at least one letter: a model number.
_HYPHEN_CHAIN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)+")
# A model prefix ("ck", "s", "vmc") set apart from its digits by a space or a dash. The
# lookbehind keeps the prefix from starting inside a longer word ("fanuc 0i" stays apart).
_PREFIX_GAP = re.compile(r"(?<![a-z])([a-z]{1,4})(?:\s*[-_/]\s*|\s+)(?=\d)")
# Everything that is not a word character or whitespace separates words, except "." and "-",
# handled below.
_SEPARATORS = re.compile(r"[^\w\s.\-]|_")
_LONE_DOT_OR_DASH = re.compile(r"(?<!\d)\.|\.(?!\d)|-")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def t2s_table() -> dict[int, str]:
    """The traditional → simplified character table as a `str.translate` mapping.

    Chains in the source (A → B where B is itself traditional) are followed to the end so one
    pass of `translate` is enough.
    """
    pairs: dict[str, str] = {}
    for line in T2S_TABLE_PATH.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        for pair in line.split():
            pairs[pair[0]] = pair[1]
    table: dict[int, str] = {}
    for traditional, simplified in pairs.items():
        seen = {traditional}
        while simplified in pairs and simplified not in seen:
            seen.add(simplified)
            simplified = pairs[simplified]
        table[ord(traditional)] = simplified
    return table


def to_simplified(text: str) -> str:
    """Traditional characters replaced by their simplified form; everything else unchanged."""
    return text.translate(t2s_table())


def _join_chain(match: re.Match[str]) -> str:
    chain = match.group(0)
    if any("a" <= ch <= "z" for ch in chain):
        return chain.replace("-", "").replace("_", "")
    return chain


def normalise_model_numbers(text: str) -> str:
    """Model numbers written with spaces or dashes joined into one token (input lower-cased)."""
    text = _HYPHEN_CHAIN.sub(_join_chain, text)
    return _PREFIX_GAP.sub(r"\1", text)


def normalise(text: str) -> str:
    """The canonical form of `text` (see the module docstring for the rules, in order)."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text).lower().translate(_DASHES)
    text = normalise_model_numbers(text)
    text = _SEPARATORS.sub(" ", text)
    text = _LONE_DOT_OR_DASH.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
