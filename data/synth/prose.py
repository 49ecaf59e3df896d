"""Slips that make a generated text read like shuffled templates, found by pattern.

:func:`slips` is what the tests run over thousands of generated texts (every family and
difficulty), and what a new family or story template should be checked with: a wrong
article ("a order", "an table", "a 8-hour"), a word said twice ("the the"), two verbs
fighting over one clause ("The market takes at most 14 coats can be sold"), a clause left
open ("at least total cost"), a negation crossed with a limit ("No driver takes at most one
route"), and leftovers of the template syntax (``{n}``, ``[a|b]``).
It judges prose only: lines of a table (starting with ``|``) are skipped.
"""

from __future__ import annotations

import re

__all__ = ["slips"]

# Words that start with a vowel letter but a consonant sound, and the reverse.
_A_BEFORE_VOWEL_LETTER = re.compile(r"^(u[nr]i|use|usu|uti|eu|one|once|ubiq|ewe)", re.I)
_AN_BEFORE_CONSONANT_LETTER = re.compile(r"^(hour|honest|honou?r|heir|[fhlmnrsx]\b)", re.I)
# "a"/"an", or "A"/"An" opening a sentence; "job A 86" or "ore A and" is a label, not an article.
_ARTICLE = re.compile(r"(?:\b([a]n?)|(?:^|(?<=[.!?:(] ))([A]n?)) ([A-Za-z0-9][\w-]*)")
# Numbers read with a vowel sound: 8, 11, 18, 80-89, 800-899, 8,000..., 11,000, 18,000
_AN_NUMBER = re.compile(r"^(8|11|18)(\d{2})*([,.]\d+)*\b|^8\d(\b|\d)")
_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.I)
_DOUBLED_OK = frozenset({"that", "had", "is"})  # "that that", "had had": grammatical, rare
_TWO_VERBS = re.compile(
    r"\b(takes|buys|accepts|absorbs|needs|wants|requires|allows|sells|can sell|will take)"
    r" (at most|at least|no more than|up to|no fewer than)\b[^.;:]*?\b(can|must|may|should) be\b",
    re.I,
)
_DANGLING = (
    re.compile(r"\bat (least|most) total\b", re.I),  # "assignment at least total cost"
    re.compile(r"\b(at most|at least|up to|no more than)\s*[.,;]", re.I),  # number missing
    re.compile(r"\b(of|the|and|or|to|with|by|for)\s*[.;]", re.I),  # clause cut short
    re.compile(r"\b(a|an)\s*[.;]"),  # "... and a." (a capital "A." is a label: "ore A.")
)
# A negation crossed with a limit says the opposite: "No driver takes at most one route".
_CONTRADICTION = re.compile(
    r"\bNo [\w-]+ (takes|gets|does|uses|has) (at most|at least|no more than)\b"
)
_LEFTOVER = re.compile(r"\{[a-z_]+\}|\[[^\]\n]*\|[^\]\n]*\]")
_SPACING = re.compile(r" [.,;:](?!\d)|\.\.(?!\.)|,,|  +(?=\S)")


def _article_slip(article: str, word: str) -> bool:
    first = word[0].lower()
    if word[0].isdigit():
        wants_an = bool(_AN_NUMBER.match(word))
    elif len(word) > 1 and word.isupper():  # an acronym is read letter by letter: "an MBA"
        wants_an = first in "aefhilmnorsx"
    elif first in "aeiou":
        wants_an = not _A_BEFORE_VOWEL_LETTER.match(word)
    else:
        wants_an = bool(_AN_BEFORE_CONSONANT_LETTER.match(word))
    return wants_an != (article.lower() == "an")


def slips(text: str) -> list[str]:
    """Every slip found in ``text``, each as ``"kind: the words"``; empty when it reads clean."""
    out: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            continue
        for m in _ARTICLE.finditer(line):
            if _article_slip(m.group(1) or m.group(2), m.group(3)):
                out.append(f"article: {m.group(0)!r}")
        for m in _DOUBLED.finditer(line):
            if m.group(1).lower() not in _DOUBLED_OK and not m.group(1).isdigit():
                out.append(f"doubled word: {m.group(0)!r}")
        for m in _TWO_VERBS.finditer(line):
            out.append(f"two verbs in one clause: {m.group(0)!r}")
        for pat in _DANGLING:
            for m in pat.finditer(line):
                out.append(f"dangling clause: {line[max(0, m.start() - 30) : m.end()]!r}")
        for m in _CONTRADICTION.finditer(line):
            out.append(f"contradiction: {m.group(0)!r}")
        for m in _LEFTOVER.finditer(line):
            out.append(f"template leftover: {m.group(0)!r}")
        for m in _SPACING.finditer(line):
            out.append(f"spacing: {line[max(0, m.start() - 15) : m.end() + 5]!r}")
    return out
