"""Does a review query ask for complaints, for praise, or neither?  With negation.

"stopped working after a few weeks" asks for complaints, "very sturdy and well made" for praise, "guitar strings"
for neither. Words are compared by their Snowball stem against two short cue lists; a cue with a negator ("no",
"not", "never", "without", "nothing", "didn't"…) among the three words before it counts for the other side, so
"no problems with the cable" and "not broken" ask for praise while "not worth the money" and "doesn't stay in
tune" ask for complaints ("can't go wrong", "won't be disappointed" read as praise: "n't" is a negator).

The gate is one-sided: a query asks for complaints only when every cue in it points that way, and it is not a
sentence weighing two sides ("X but Y", "though", "except"). A description that holds both ("good sound, some
annoying minor issues"; "the strap broke but I fixed it") is what someone wrote about one review, not a request
for complaints: ranking it by polarity would push that review down (bench/reviews_quality.py, known-item
recall). No cue, or cues on both sides, is neutral (None), and a neutral query is ranked by relevance alone
(models/reviews/ranking.py).
"""

from __future__ import annotations

import re

from models.reviews.bm25 import analyzer

__all__ = ["query_polarity", "NEGATIVE", "POSITIVE"]

NEGATIVE, POSITIVE = "negative", "positive"
# Not cues: "cheap" and "thin" mostly name a price and a gauge ("cheap and it works", "thin picks"): of the Amazon
# file's review titles holding them 78% / 73% are 4-5 stars, against 88% overall ("cheaply" made: 14%).
_NEGATIVE_CUES = ("break broke broken breaks crack cracked stopped died dead defective defect cheaply flimsy "
                  "poor bad terrible awful worst worse disappointed disappointing return returned refund complaint "
                  "complaints complain problem problems issue issues noise noisy hum buzz buzzing crackle crackles "
                  "damaged damage apart wobbly loose fail failed fails junk waste useless uncomfortable painful hurts "
                  "tinny slipped slips leak rust rusted scratched bent wrong faulty annoying hate garbage crap "
                  "mediocre weak horrible flaw flaws difficult unreliable dull muddy frustrating")
_POSITIVE_CUES = ("great excellent love loved perfect perfectly sturdy solid comfortable easy easily best amazing "
                  "recommend happy durable worth awesome fantastic nice quiet clear accurate beautiful good reliable "
                  "stable stays stay holds hold securely secure bright warm rich praise impressed pleased "
                  "smooth")
_NEGATORS = {"no", "not", "never", "without", "nothing", "none", "zero", "hardly", "didn", "doesn", "don", "isn",
             "wasn", "won", "wouldn", "aren", "cannot", "cant", "nor", "free", "wont", "dont", "didnt", "doesnt",
             "isnt", "wasnt", "wouldnt", "couldnt", "shouldnt", "arent", "werent", "aint"}
# a clause joined by one of these weighs the other side: the query describes, it does not ask for one side
_CONTRAST = {"but", "though", "although", "however", "except", "whereas", "despite"}
_SCOPE = 3  # words before a cue in which a negator flips it


def _stems(words: str) -> set[str]:
    return set(analyzer(True, False)(words))


def query_polarity(query: str) -> str | None:
    """"negative" (asks for complaints), "positive" (asks for praise) or None (neither, or as much of both)."""
    text = re.sub(r"n[\'\u2019]t\b", " not", str(query or "").lower())  # "can't" -> "ca not", "won't" -> "wo not"
    # a hyphenated word is one word ("re-issue" is no "issue", "die-cast" no "died"), but "noise-free" is "noise free"
    tokens = [t for w in re.findall(r"[a-z]+(?:-[a-z]+)*", text)
              for t in (w.split("-") if w.endswith("-free") else [w])]
    if _CONTRAST & set(tokens):
        return None
    stem = analyzer(True, False)
    neg, pos = _stems(_NEGATIVE_CUES), _stems(_POSITIVE_CUES)
    sides = set()
    for i, tok in enumerate(tokens):
        s = (stem(tok) or [tok])[0]
        side = -1 if s in neg else (1 if s in pos else 0)
        if not side:
            continue
        window = tokens[max(0, i - _SCOPE):i]
        if any(w in _NEGATORS for w in window) or (i + 1 < len(tokens) and tokens[i + 1] == "free"):
            side = -side  # "no problems", "not broken", "noise free"
        sides.add(side)
    if len(sides) != 1:
        return None  # no cue, or cues on both sides
    return NEGATIVE if sides == {-1} else POSITIVE
