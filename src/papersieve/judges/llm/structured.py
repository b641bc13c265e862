"""JSON-schema replies: the schema of one batch and the forms a server may take it in.

Measured on llama-cpp-python's server with SmolLM2-135M (issue 15): a schema whose keys are the
batch's ids (all required, nothing else allowed) and whose scores are integer enums gave a valid
answer for every paper; `minimum`/`maximum` were ignored (NOVELTY 98) and an array of objects let
the model repeat one id and skip another. So: an object keyed by id, enums for scores.

Forms, strongest first: `json_schema` (OpenAI, vLLM, Ollama's /v1, llama.cpp's own server),
`json_object` with the schema beside it (llama-cpp-python), `off` (the prompt alone, read by the
tolerant parser). The prompt text is the profile's, unchanged, in every form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from papersieve.judges.llm.prompts import Stage

Mode = Literal["json_schema", "json_object", "off"]
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "off")
SCORES = list(range(1, 11))
DROP_KEY = "DROP"
_REFUSAL_WORDS = ("response_format", "json_schema", "schema", "grammar", "format")


def batch_schema(stage: Stage, ids: Sequence[str], *, tldr: bool = False) -> dict[str, Any]:
    """The JSON schema one batch's reply must follow (`tldr`: each verdict also has a TLDR string;
    required, as strict servers want every property required, but a reply without it is read)."""
    if stage == "title":
        return {"type": "object", "additionalProperties": False, "required": [DROP_KEY],
                "properties": {DROP_KEY: {"type": "array",
                                          "items": {"type": "string", "enum": list(ids)}}}}
    verdict = {
        "type": "object", "additionalProperties": False,
        "required": ["COMMENT", "RELEVANCE", "NOVELTY"],
        "properties": {"COMMENT": {"type": "string"},
                       "RELEVANCE": {"type": "integer", "enum": SCORES},
                       "NOVELTY": {"type": "integer", "enum": SCORES}},
    }
    if tldr:
        verdict["required"] = ["COMMENT", "TLDR", "RELEVANCE", "NOVELTY"]
        verdict["properties"] = {"COMMENT": {"type": "string"}, "TLDR": {"type": "string"},
                                 "RELEVANCE": {"type": "integer", "enum": SCORES},
                                 "NOVELTY": {"type": "integer", "enum": SCORES}}
    return {"type": "object", "additionalProperties": False, "required": list(ids),
            "properties": {paper_id: verdict for paper_id in ids}}


def response_format(mode: Mode, stage: Stage, ids: Sequence[str], *,
                    tldr: bool = False) -> dict[str, Any] | None:
    """The `response_format` request field for a mode (None: send none)."""
    if mode == "off":
        return None
    schema = batch_schema(stage, ids, tldr=tldr)
    if mode == "json_object":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema",
            "json_schema": {"name": f"papersieve_{stage}", "strict": True, "schema": schema}}


def weaker(mode: Mode) -> Mode:
    """The next form to try after a server refused `mode`."""
    return MODES[min(MODES.index(mode) + 1, len(MODES) - 1)]


def is_refusal(status: int | None, error: str, mode: Mode) -> bool:
    """A server's "no" to the response_format itself (400, 422 or 500 naming it), which is not a
    failure of the papers: the batch is resent in a weaker form."""
    if mode == "off" or status not in (400, 422, 500):
        return False
    text = error.lower()
    if "context" in text and "length" in text:
        return False
    return any(word in text for word in _REFUSAL_WORDS)
