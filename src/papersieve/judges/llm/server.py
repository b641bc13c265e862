"""What a server says about itself: the models it serves and how many requests it runs at once.

Asked once per run, through the `LLM_PROBE` policy of `papersieve.outbound` (one try each, a
short timeout, a small size cap). Only what a
server really publishes is used: `/v1/models` (every OpenAI-compatible server), llama.cpp's
`/props` (`total_slots`) and `/slots` (one entry per slot). A server that publishes no slot count
(vLLM, llama-cpp-python, Ollama) gets the profile's concurrency, lowered at run time when its
latency shows a queue (judges/llm/runner.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from papersieve import outbound
from papersieve.errors import ConfigError, JudgeError
from papersieve.outbound import LLM_PROBE


def server_root(base_url: str) -> str:
    """The server's address without the `/v1` API prefix (where llama.cpp puts /props)."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    return urlunsplit(parts._replace(path=path, query="", fragment=""))


def served_models(base_url: str, api_key: str, shown_url: str) -> list[str]:
    """The model ids listed at `{base_url}/models`; a JudgeError when the server cannot say."""
    url = base_url.rstrip("/") + "/models"
    try:
        body = _get_json(url, api_key)
    except httpx.HTTPStatusError as err:
        raise JudgeError(f"the LLM server at {shown_url} gave no model list (HTTP"
                         f" {err.response.status_code}); set judge.model (or PAPERSIEVE_MODEL)",
                         status=err.response.status_code) from err
    except (httpx.HTTPError, ValueError) as err:
        raise JudgeError(f"no reply from the LLM server at {shown_url} ({type(err).__name__}) when"
                         " asking for its models; set judge.model (or PAPERSIEVE_MODEL)") from err
    data = body.get("data") if isinstance(body, dict) else None
    ids = [str(m.get("id")) for m in data or [] if isinstance(m, dict) and m.get("id")]
    return list(dict.fromkeys(ids))


def choose_model(models: list[str], shown_url: str) -> str:
    """The one model a server serves; several or none is a one-line error."""
    if len(models) == 1:
        return models[0]
    if not models:
        raise ConfigError(f"the LLM server at {shown_url} lists no model; set judge.model")
    listed = ", ".join(models[:20]) + (" ..." if len(models) > 20 else "")
    raise ConfigError(f"the LLM server at {shown_url} serves several models ({listed});"
                      " set judge.model (or PAPERSIEVE_MODEL) to one of them")


def server_slots(base_url: str, api_key: str) -> int | None:
    """How many requests the server computes at once, when it says so (llama.cpp); else None."""
    root = server_root(base_url)
    for path, read in (("/props", _slots_from_props), ("/slots", _slots_from_list)):
        try:
            found = read(_get_json(root + path, api_key))
        except (httpx.HTTPError, ValueError):
            continue
        if found:
            return found
    return None


def _slots_from_props(body: Any) -> int | None:
    value = body.get("total_slots") if isinstance(body, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _slots_from_list(body: Any) -> int | None:
    return len(body) if isinstance(body, list) and body else None


def _get_json(url: str, api_key: str) -> Any:
    headers = {"Authorization": f"Bearer {api_key}"}
    with outbound.client(LLM_PROBE, headers=headers, follow_redirects=False) as client:
        response = client.get(url)
        response.raise_for_status()
        return response.json()
