"""Search: find models by title, id, description, labels and category.

Case-insensitive, yo and ye are one letter, Cyrillic queries are also tried in Latin letters (the
table is in catalog.yaml), and a word may differ from the catalog's by a typo or two (edit distance).
Forty-odd models make a linear scan instant, so there is no index to keep in step with the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flows.catalog import Catalog, Model

_WORD = re.compile(r"[^\W_]+")
# The two spellings of one letter that Russian text mixes freely (yo and ye).
_YO, _YE = "\u0451", "\u0435"


def normalize(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace(_YO, _YE))


def transliterate(word: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in word)


def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _word_score(query: str, word: str) -> int:
    """3 exact, 2 prefix, 1 a typo away, 0 no match."""
    if query == word:
        return 3
    if len(query) >= 2 and word.startswith(query):
        return 2
    allowed = 0 if len(query) < 4 else 1 if len(query) < 8 else 2
    if allowed and distance(query, word, allowed) <= allowed:
        return 1
    if len(query) >= 5 and query in word:
        return 1
    # A crude stem: Russian endings vary (a verb and its noun), the first letters stay.
    shared = next((i for i, (a, b) in enumerate(zip(query, word, strict=False)) if a != b), min(len(query), len(word)))
    if len(query) >= 5 and shared >= max(4, len(query) - 3):
        return 1
    return 0


class ModelIndex:
    """Each model's words, weighted: its name counts more than its description."""

    def __init__(self, catalog: Catalog, category_titles: dict[str, str]) -> None:
        self.catalog = catalog
        self.entries: list[tuple[Model, dict[str, int]]] = []
        for model in catalog.models.values():
            words: dict[str, int] = {}
            self._add(words, [model.title, model.id.replace("/", " ").replace("-", " ").replace(".", " ")], 3)
            self._add(words, ["".join(normalize(model.title)), category_titles.get(model.category, "")], 2)
            self._add(words, [model.description, " ".join(model.good_for)], 1)
            self.entries.append((model, words))

    @staticmethod
    def _add(words: dict[str, int], texts: Iterable[str], weight: int) -> None:
        for text in texts:
            for word in normalize(text):
                words[word] = max(words.get(word, 0), weight)

    def search(self, query: str) -> list[Model]:
        terms = [t for t in normalize(query) if t not in self.catalog.stop_words]
        if not terms:
            return []
        scored = []
        for model, words in self.entries:
            if model.id in self.catalog.disabled:
                continue
            total = 0
            for term in terms:
                variants = {term, transliterate(term, self.catalog.transliteration)}
                best = max(_word_score(v, w) * weight for v in variants for w, weight in words.items())
                if best == 0:
                    break  # every word of the query must match something
                total += best
            else:
                scored.append((-total, model.order, model))
        return [model for *_, model in sorted(scored, key=lambda s: (s[0], s[1]))]
