"""The Markdown digest, byte-compatible with the seed digests above `# Paper Selection Prompt`.

Layout (data/seeds/digest-2025-07-0{2,3}.md): title; a centred token/cost table; three totals;
a table of contents with `#user-content-link{i}` anchors; one section per paper separated by
`---`; then the prompt actually sent, every line quoted with `> `, and no trailing newline.
"""

from __future__ import annotations

from collections.abc import Sequence

from papersieve.ids import is_doi
from papersieve.models import Digest, Pick, PromptText
from papersieve.render.text import dollars, novelty_text, score, title_line
from papersieve.tldr import label as tldr_label


def render_markdown(digest: Digest) -> str:
    """The whole digest as one string (no trailing newline, like the seeds)."""
    parts = [f"# {title_line(digest)}", usage_table(digest), _totals(digest), _toc(digest.picks)]
    if digest.partial_notice:  # only then: a complete day stays byte for byte the seed format
        parts.insert(1, f"> **{digest.partial_notice}**")
    text = "\n\n".join(parts) + "\n\n---\n\n"
    text += "".join(_section(i, pick, digest.tldr_in_markdown) + "\n\n---\n\n"
                    for i, pick in enumerate(digest.picks, 1))
    return text + prompt_section(digest.prompt, digest.judge, digest.model)


def usage_table(digest: Digest) -> str:
    """The token/cost table: every column centred, width max(len(header) + 2, longest cell)."""
    usage = digest.usage
    header = [f"*[{digest.model}]*", "Prompt", "Completion", "Total"]
    tokens = ["**Token**", str(usage.prompt_tokens), str(usage.completion_tokens),
              str(usage.total_tokens)]
    total = None if usage.cost is None else round(usage.cost, 2)
    costs = ["**Cost**", dollars(usage.prompt_cost), dollars(usage.completion_cost), dollars(total)]
    return _table([header, tokens, costs])


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(rows[0][c]) + 2, *(len(r[c]) for r in rows)) for c in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
             for row in rows]
    rule = "|" + "|".join(":" + "-" * w + ":" for w in widths) + "|"
    return "\n".join([lines[0], rule, *lines[1:]])


def _totals(digest: Digest) -> str:
    counts = digest.counts
    return (f"Total arXiv papers: {counts.total}\n\n"
            f"Total scanned papers: {counts.scanned}\n\n"
            f"Total relevant papers: {len(digest.picks)}")


def _toc(picks: Sequence[Pick]) -> str:
    lines = ["**Table of contents with paper titles:**"]
    lines += [f"{i}. [{p.paper.title}](#user-content-link{i})\n**Authors:** {authors(p)}"
              for i, p in enumerate(picks, 1)]
    return "\n\n".join(lines)


def authors(pick: Pick) -> str:
    """Authors exactly as the source gave them, joined by ", "."""
    return ", ".join(pick.paper.authors)


def _section(i: int, pick: Pick, show_tldr: bool = False) -> str:
    paper, judgement = pick.paper, pick.judgement
    return (
        f"## {i}. [{paper.title}]({paper.abs_url}) <a id=\"link{i}\"></a>\n\n"
        f"{_id_line(paper.id)}\n\n"
        f"**Authors:** {authors(pick)}\n\n"
        f"**Abstract:** {paper.abstract}\n\n"
        + (f"**{tldr_label(judgement.tldr_kind)}:** {judgement.tldr}\n\n"
           if show_tldr and judgement.tldr else "")
        + f"**Comment:** {_comment(pick)}\n\n"
        f"**Relevance:** {score(judgement.relevance)}\n"
        f"**Novelty:** {novelty_text(judgement)}"
    )


def _id_line(paper_id: str) -> str:
    """The seed's `**ArXiv ID:**` line; a bioRxiv or medRxiv preprint's DOI says DOI."""
    return f"**DOI:** {paper_id}" if is_doi(paper_id) else f"**ArXiv ID:** {paper_id}"


def _comment(pick: Pick) -> str:
    comment = pick.judgement.comment
    if pick.pinned:
        why = pick.judgement.detail.split(";")[0].strip()
        prefix = (why[:1].upper() + why[1:] + ".") if why.startswith("pinned author") else "Pinned author."
        return f"{prefix} {comment}" if comment else prefix
    return comment


def prompt_section(prompt: PromptText, judge: str, model: str) -> str:
    """`# Paper Selection Prompt`: the prompt actually sent, each line quoted with `> `."""
    head = "# Paper Selection Prompt\n\n"
    if not prompt.system and not prompt.user:
        return head + (f"No LLM prompt was sent: the {judge} judge ({model}) scored the papers "
                       "against the profile's topics and your feedback.")
    return (head + "## System Prompt\n\n" + quote(prompt.system)
            + "\n\n## User Prompt\n\n" + quote(prompt.user))


def quote(text: str) -> str:
    """Every line prefixed with `> ` (an empty line becomes `> `)."""
    return "\n".join("> " + line for line in text.split("\n"))
