"""Two token views of a Chinese technical text: jieba words and character bigrams.

Both views start from `normalise(text)` and split it into CJK runs and Latin/number tokens;
Latin/number tokens ("plc", "ck6150", "0.02mm") are kept whole in both views, so model
numbers match exactly and never reach jieba.

- Words: each CJK run cut by jieba in search mode (a long word also yields its dictionary
  sub-words: "数控机床" → 数控, 机床, 数控机床), with a shipped dictionary of industrial terms
  so domain terms stay whole. Stop-words (function words and the generic phrasing of a request
  for help, `data/stopwords.txt`) are dropped.
- Bigrams: every pair of adjacent characters inside a CJK run (a one-character run is kept as
  it is). Bigrams catch what segmentation misses — a different wording of the same term, a
  word jieba does not know — at the price of noise, which is why the two views are fused.
  Bigrams equal to a stop-word are dropped.

jieba runs on a private `jieba.Tokenizer` created on first use (thread-safe), so loading our
dictionary never changes the process-wide `jieba` state other code may rely on.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

from gonghui.core.text.normalise import normalise

DATA_DIR = Path(__file__).resolve().parent / "data"
USER_DICT_PATH = DATA_DIR / "industrial_terms.txt"
STOPWORDS_PATH = DATA_DIR / "stopwords.txt"

# CJK unified ideographs (basic block and extension A); NFKC has already folded the
# compatibility ideographs into them.
_SEGMENTS = re.compile(r"(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff]+)|(?P<latin>[a-z0-9]+(?:\.[a-z0-9]+)*)")

_tokenizer: jieba.Tokenizer | None = None
_tokenizer_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class TokenViews:
    """The word view and the bigram view of one text, in text order (duplicates kept)."""

    words: tuple[str, ...]
    bigrams: tuple[str, ...]


def _read_entries(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a shipped word list."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The shipped stop-word list (already in normalised form)."""
    return frozenset(normalise(word) for word in _read_entries(STOPWORDS_PATH))


def jieba_tokenizer() -> jieba.Tokenizer:
    """The private jieba tokenizer with the industrial-terms dictionary, built once."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                # jieba announces its dictionary loading on the root of its own logger.
                logging.getLogger("jieba").setLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for term in _read_entries(USER_DICT_PATH):
                    # No frequency given: jieba picks one just high enough to keep the term whole.
                    tokenizer.add_word(normalise(term))
                _tokenizer = tokenizer
    return _tokenizer


def _segments(normalised: str) -> list[tuple[bool, str]]:
    """(is_cjk, text) runs of a normalised text, in order; everything else is dropped."""
    return [(match.lastgroup == "cjk", match.group()) for match in _SEGMENTS.finditer(normalised)]


def _words_of(segments: list[tuple[bool, str]]) -> tuple[str, ...]:
    tokenizer = jieba_tokenizer()
    stop = stopwords()
    out: list[str] = []
    for is_cjk, text in segments:
        if not is_cjk:
            out.append(text)
            continue
        out.extend(w for w in tokenizer.cut_for_search(text) if w not in stop and w.strip())
    return tuple(out)


def _bigrams_of(segments: list[tuple[bool, str]]) -> tuple[str, ...]:
    stop = stopwords()
    out: list[str] = []
    for is_cjk, text in segments:
        if not is_cjk or len(text) == 1:
            if text not in stop:
                out.append(text)
            continue
        out.extend(gram for gram in (text[i : i + 2] for i in range(len(text) - 1)) if gram not in stop)
    return tuple(out)


def words(text: str) -> tuple[str, ...]:
    """The word view of `text` (normalised, jieba search mode, stop-words dropped)."""
    return _words_of(_segments(normalise(text)))


def bigrams(text: str) -> tuple[str, ...]:
    """The bigram view of `text` (normalised, CJK character pairs, Latin tokens whole)."""
    return _bigrams_of(_segments(normalise(text)))


def analyse(text: str) -> TokenViews:
    """Both views of `text`, normalising it once."""
    segments = _segments(normalise(text))
    return TokenViews(words=_words_of(segments), bigrams=_bigrams_of(segments))
