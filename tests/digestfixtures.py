"""Small digests for renderer tests: a normal one and one with hostile text everywhere."""

from __future__ import annotations

import datetime as dt

from papersieve.models import DayCounts, Digest, Judgement, Outcome, Paper, Pick, PromptText, Usage

HOSTILE_TITLE = 'Attention <script>alert("x")</script> & "><img src=x onerror=alert(1)> ]]>'
HOSTILE_ABSTRACT = ("We show $a<b$ & $c>d$ for $\\mathcal{O}(n^{2})$ <b>bold</b> ]]> "
                    "</textarea><svg onload=alert(1)> and 'quotes' \"double\" \x0b end")
HOSTILE_AUTHOR = 'Eve <eve@example.org> "&amp;"'


def sample_digest(*, hostile: bool = False, judge: str = "llm") -> Digest:
    """Two picks (one pinned), one keyword-filtered and one seen-before candidate."""
    title = HOSTILE_TITLE if hostile else "Sparse Mixture of Experts at Scale"
    abstract = HOSTILE_ABSTRACT if hostile else "We study routing in sparse MoE layers."
    author = HOSTILE_AUTHOR if hostile else "Ada Lovelace"
    novelty = None if judge == "local" else 8.0
    model = "tfidf-logreg" if judge == "local" else "gpt-4o"
    papers = {
        "2507.00001": Paper("2507.00001", title, abstract, (author, "Bob Smith"), ("cs.LG",)),
        "2507.00002": Paper("2507.00002", "Pinned Paper", "By a pinned author.",
                            ("Geoffrey Hinton",), ("cs.AI", "cs.LG")),
        "2507.00003": Paper("2507.00003", "A Survey of Surveys", "Nothing new.", ("C. D.",), ("cs.AI",)),
        "2507.00004": Paper("2507.00004", "Old Friend", "Seen yesterday.", ("E. F.",), ("cs.LG",)),
    }
    j1 = Judgement("2507.00001", Outcome.JUDGED, judge, model, "abc123", 9.0, novelty,
                   "Matches model architecture <MoE> & sparsity." if hostile else "Matches MoE.")
    j2 = Judgement("2507.00002", Outcome.PINNED_AUTHOR, judge, model, "abc123", 5.0,
                   None if judge == "local" else 4.0, "", "pinned author: Geoffrey Hinton")
    j3 = Judgement("2507.00003", Outcome.FILTERED_KEYWORD, "rules", detail="exclude keyword: survey")
    j4 = Judgement("2507.00004", Outcome.SEEN_BEFORE, "dedup", detail="judged on an earlier day")
    picks = (Pick(papers["2507.00002"], j2, pinned=True), Pick(papers["2507.00001"], j1))
    usage = (Usage() if judge == "local"
             else Usage(1234, 321, 100, 1234 * 2.5 / 1e6, 321 * 10 / 1e6))
    prompt = (PromptText("", "") if judge == "local"
              else PromptText("You are a helpful assistant.", "## Topics\n\nMoE\n\n[PAPER LIST HERE]"))
    return Digest(dt.date(2025, 7, 3), model, DayCounts(10, 6, 4, 2), usage, picks, prompt,
                  (j4, j1, j2, j3), papers, judge, "abc123", "default", 7,
                  ("a note for the user",))
