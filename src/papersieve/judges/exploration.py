"""The hybrid judge's exploration rule, shared with the local judge's training.

Once the hybrid holds papers back, the LLM never sees the picks among them. A held-back paper is
sent anyway when its id falls in a fixed hash bucket: a quarter of the ids just below the cut and
3% further down, independent of anything else about the paper. The hybrid decides what to send
with this rule; training weighs a pick found in the sample by 1 / its rate. Both import it from
here, so neither imports the other (it used to live in `hybrid.py`, an import circle).
"""

from __future__ import annotations

import hashlib

EXPLORE_NEAR = 0.25
"""Share of the held-back papers just below the cut (within `NEAR_BAND`) sent to explore."""
EXPLORE_FAR = 0.03
"""Share of the other held-back papers sent to explore."""
NEAR_BAND = 0.10
"""How far below the cut (share of the ranking) a held-back paper counts as near it."""


def explore_rate(position: float, cut: float) -> float:
    """Probability that a held-back paper at `position` (share of the ranking) is explored."""
    return EXPLORE_NEAR if position < cut + NEAR_BAND else EXPLORE_FAR


def explored(paper_id: str, rate: float) -> bool:
    """True when the id's fixed hash bucket falls under `rate` (independent of its rank)."""
    bucket = int.from_bytes(hashlib.sha256(paper_id.encode()).digest()[:4], "big") % 10_000
    return bucket < rate * 10_000
