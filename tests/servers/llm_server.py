"""An OpenAI-compatible chat-completions server on loopback that answers like a model.

Answers come from a script per test or are derived from the labels file: a paper the seed
system's gpt-4o picked gets its label's scores and comment, any other paper relevance 3 and
novelty 3; the title stage drops nothing unless told which ids to drop. Usage is counted
approximately (characters / 4), with prompt caching of a shared prefix reported as
`prompt_tokens_details.cached_tokens`. It misbehaves on request, per call index (`faults`) or
at random with a fixed seed (`fault_rate`): whether a request body is faulty is decided by its
hash, only on its first sighting (a resent request goes through), and the faulty ones take the
fault kinds in turn, so every kind shows up once enough calls go wrong.

It also imitates what real servers do beside the answer: `/v1/models` lists `models`; a
`response_format` in a form listed in `refuse_formats` is refused (HTTP 500 naming it, as
llama-cpp-python refuses json_schema); with `structured_answers` a request carrying a schema is
answered in the schema's form (an object keyed by id); reasoning models (o-series, gpt-5) refuse
`temperature` and `max_tokens` as OpenAI's API does and report reasoning tokens; `usage` can be
"missing" or "negative" (hostile or broken servers). As a serving engine (vLLM) it computes at
most `max_in_flight` requests at once, the others waiting their turn (`when_full="queue"`, as
vLLM's scheduler does) or turned away with 429/503 (as a proxy in front of one may), each taking
`latency` seconds.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LABELS = Path(__file__).resolve().parents[2] / "data" / "labels" / "gpt4o-picks-dev.jsonl"
INVENTED_ID = "2512.99999"
FAULTS = ("malformed", "partial", "fence", "prose", "missing", "invented", "array", "429", "500",
          "slow", "length", "empty")
"""Every way the server can misbehave (fence, prose and array are harmless to a good parser)."""
FAILING_FAULTS = tuple(f for f in FAULTS if f not in ("fence", "prose", "array"))

_BLOCK = re.compile(r'^<paper id="([^"]+)">$', re.MULTILINE)
_ID_LINE = re.compile(r"^ArXiv ID: (\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class CallInfo:
    """What a scripted answer sees of one request."""

    index: int
    stage: str
    ids: tuple[str, ...]
    system: str
    user: str
    model: str


@dataclass(frozen=True)
class Scripted:
    """A scripted answer: content, finish reason, or an HTTP error status with headers."""

    content: str = ""
    finish_reason: str = "stop"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    error: str = ""
    """The error message of a failed status (e.g. a context_length_exceeded text)."""


@dataclass
class CallLog:
    """One request as the server saw it and what it answered."""

    index: int
    stage: str
    ids: tuple[str, ...]
    fault: str
    status: int
    answered: tuple[str, ...]
    user: str
    content: str = ""


Script = Callable[[CallInfo], "Scripted | str | None"]


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many calls in flight at once
    daemon_threads = True


def load_labels(path: Path = LABELS) -> dict[str, dict[str, Any]]:
    """Label records by paper id (first record wins)."""
    labels: dict[str, dict[str, Any]] = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            labels.setdefault(record["id"], record)
    return labels


class FakeLLM:
    """The server; use as a context manager. `url` is the base URL to give the client."""

    def __init__(
        self, *, labels: Mapping[str, Mapping[str, Any]] | None = None, script: Script | None = None,
        title_drops: Collection[str] = (), latency: float = 0.0,
        faults: Mapping[int, str] | None = None, fault_rate: float = 0.0,
        fault_kinds: Sequence[str] = FAULTS, seed: int = 0, retry_after: str = "1",
        slow_seconds: float = 3.0, always_status: int | None = None,
        models: Sequence[str] = ("gpt-4o",), refuse_formats: Collection[str] = (),
        structured_answers: bool = False, usage: str = "normal", one_slot: bool = False,
        published_slots: int | None = None, models_delay: float = 0.0,
        max_in_flight: int | None = None, when_full: str = "queue",
    ) -> None:
        self.labels = load_labels() if labels is None else labels
        self.script = script
        self.title_drops = set(title_drops)
        self.latency = latency
        self.faults = dict(faults or {})
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        self.seed = seed
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.always_status = always_status
        self.models = list(models)
        self.models_delay = models_delay
        """Seconds before /v1/models answers (llama-cpp-python's server answers it only after the
        generation it is busy with, even one whose client gave up)."""
        self.refuse_formats = set(refuse_formats)
        self.structured_answers = structured_answers
        self.usage = usage
        self.bodies: list[dict[str, Any]] = []
        self.one_slot = one_slot
        """Compute one request at a time (the others wait, as in llama-cpp-python's queue)."""
        self.published_slots = published_slots
        """Publish llama.cpp's /props `total_slots`."""
        self.max_in_flight = max_in_flight
        """A serving engine's limit on requests computed at once (vLLM's `--max-num-seqs`)."""
        if when_full not in ("queue", "429", "503"):
            raise ValueError(f"when_full must be queue, 429 or 503, not {when_full!r}")
        self.when_full = when_full
        """Beyond the limit: "queue" (vLLM's scheduler keeps the request waiting), or "429" /
        "503" with `retry_after` (as a proxy or gateway in front of an engine may answer)."""
        self.turned_away = 0
        """Requests answered 429/503 because the limit was reached (not in `log`)."""
        self.most_computing = 0
        """The most requests computed at once (never above `max_in_flight`)."""
        self.most_in_flight = 0
        self._in_flight = 0
        self._computing = 0
        self._slot = threading.Lock()
        self._engine = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
        self.log: list[CallLog] = []
        self.echo_auth = False
        """Echo mode: error bodies quote the request's Authorization header."""
        self._seen: set[str] = set()
        self._faulty = 0
        self._prompts: list[str] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the OpenAI-compatible API."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def calls(self) -> int:
        """How many chat requests arrived."""
        return len(self.log)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- answering -------------------------------------------------------------------------

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        """Status, headers and JSON body for one request (called on the server's threads)."""
        with self._lock:
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            if self._engine is None:
                return self._computed(body)
            if not self._engine.acquire(blocking=self.when_full == "queue"):
                with self._lock:
                    self.turned_away += 1
                status = int(self.when_full)
                return status, {"Retry-After": self.retry_after}, _error_body(status)
            try:
                return self._computed(body)
            finally:
                self._engine.release()
        finally:
            with self._lock:
                self._in_flight -= 1

    def _computed(self, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        with self._lock:
            self._computing += 1
            self.most_computing = max(self.most_computing, self._computing)
        try:
            if self.one_slot:
                with self._slot:
                    return self._answer(body)
            return self._answer(body)
        finally:
            with self._lock:
                self._computing -= 1

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        messages = body.get("messages") or []
        system = next((m["content"] for m in messages if m.get("role") == "system"), "")
        user = next((m["content"] for m in messages if m.get("role") == "user"), "")
        stage = "abstract" if re.search(r"^Abstract: ", user, re.MULTILINE) else "title"
        ids = tuple(_BLOCK.findall(user) or _ID_LINE.findall(user))
        with self._lock:
            self.bodies.append(body)
        refused = _refusal(body, self.refuse_formats)
        if refused is not None:
            return refused
        with self._lock:
            index = len(self.log)
            fault = self._choose_fault(index, json.dumps(body, sort_keys=True))
            cached = self._cached_tokens(system + user)
            entry = CallLog(index, stage, ids, fault, 200, (), user)
            self.log.append(entry)
        if self.latency:
            time.sleep(self.latency)
        if self.always_status is not None:
            entry.status = self.always_status
            return self.always_status, {}, _error_body(self.always_status)
        info = CallInfo(index, stage, ids, system, user, str(body.get("model", "")))
        scripted = self.script(info) if self.script else None
        if scripted is None:
            scripted, entry.answered = self._default(info, fault)
        elif isinstance(scripted, str):
            scripted = Scripted(scripted)
        entry.status, entry.content = scripted.status, scripted.content
        if scripted.status != 200:
            entry.answered = ()
            return scripted.status, dict(scripted.headers), _error_body(scripted.status, scripted.error)
        if fault == "slow":
            entry.answered = ()  # the client gave up before this arrives
            time.sleep(self.slow_seconds)
        if self.structured_answers and body.get("response_format") and scripted.finish_reason != "length":
            scripted = Scripted(_as_structured(scripted.content, stage), scripted.finish_reason)
            entry.content = scripted.content
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4
        completion = _completion(body, scripted, prompt_tokens, cached)
        _apply_usage(completion, self.usage, str(body.get("model", "")))
        return 200, dict(scripted.headers), completion

    def _choose_fault(self, index: int, raw: str) -> str:
        if index in self.faults:
            return self.faults[index]
        digest = hashlib.sha256(raw.encode()).hexdigest()
        first = digest not in self._seen
        self._seen.add(digest)
        rng = random.Random(f"{self.seed}:{digest}")
        if first and self.fault_rate and rng.random() < self.fault_rate:
            self._faulty += 1
            return self.fault_kinds[(self._faulty - 1) % len(self.fault_kinds)]
        return ""

    def _cached_tokens(self, prompt: str) -> int:
        """Tokens of the longest prefix shared with an earlier prompt, in 128-token steps."""
        best = max((_common_prefix(earlier, prompt) for earlier in self._prompts[-20:]), default=0)
        self._prompts.append(prompt)
        tokens = best // 4
        return tokens // 128 * 128 if tokens >= 1024 else 0

    def _default(self, info: CallInfo, fault: str) -> tuple[Scripted, tuple[str, ...]]:
        if fault == "429":
            return Scripted(status=429, headers={"Retry-After": self.retry_after}), ()
        if fault == "500":
            return Scripted(status=500), ()
        if fault == "empty":
            return Scripted(""), ()
        if info.stage == "title":
            return self._title_answer(info, fault)
        return self._abstract_answer(info, fault)

    def _title_answer(self, info: CallInfo, fault: str) -> tuple[Scripted, tuple[str, ...]]:
        drops = [i for i in info.ids if i in self.title_drops]
        if fault == "invented":
            drops.append(INVENTED_ID)
        text = json.dumps(drops)
        if fault in ("malformed", "partial"):
            return Scripted(text.rstrip("]") + ", "), ()
        if fault == "length":
            return Scripted(text[: max(1, len(text) // 2)].rstrip("]"), "length"), ()
        if fault == "fence":
            text = f"```json\n{text}\n```"
        elif fault == "prose":
            text = f"Here are the clearly irrelevant ones:\n{text}\nThe rest may be relevant."
        return Scripted(text), info.ids

    def _abstract_answer(self, info: CallInfo, fault: str) -> tuple[Scripted, tuple[str, ...]]:
        records = [self.scores(i) for i in info.ids]
        lines = [json.dumps(r) for r in records]
        answered = list(info.ids)
        if fault == "malformed" and lines:
            lines[0] = lines[0][: len(lines[0]) // 2]
            answered = answered[1:]
        elif fault == "partial" and len(lines) > 1:
            keep = len(lines) // 2
            lines, answered = lines[:keep], answered[:keep]
        elif fault == "missing" and lines:
            lines, answered = lines[:-1], answered[:-1]
        elif fault == "invented":
            fake = {"ARXIVID": INVENTED_ID, "COMMENT": "Invented.", "RELEVANCE": 10, "NOVELTY": 10}
            lines.append(json.dumps(fake))
        elif fault == "length" and lines:
            keep = len(lines) // 2
            cut = lines[keep][: len(lines[keep]) // 2]
            return Scripted("\n".join([*lines[:keep], cut]), "length"), tuple(answered[:keep])
        text = "\n".join(lines)
        if fault == "fence":
            text = f"```jsonl\n{text}\n```"
        elif fault == "prose":
            text = f"Sure! Here are the scores.\n\n{text}\n\nI hope this helps."
        elif fault == "array":
            items = [{"arxiv_id": r["ARXIVID"], "comment": r["COMMENT"],
                      "relevance": str(r["RELEVANCE"]), "novelty": float(r["NOVELTY"])} for r in records]
            text = "[\n" + ",\n".join(json.dumps(i) for i in items) + ",\n]"
        return Scripted(text), tuple(answered)

    def scores(self, paper_id: str) -> dict[str, Any]:
        """The model's line for one paper: its label's scores, else 3 and 3."""
        label = self.labels.get(paper_id)
        if label and label.get("relevance") is not None:
            return {"ARXIVID": paper_id, "COMMENT": label.get("comment") or "",
                    "RELEVANCE": label["relevance"], "NOVELTY": label["novelty"]}
        return {"ARXIVID": paper_id, "COMMENT": "Not related to the topics.", "RELEVANCE": 3,
                "NOVELTY": 3}


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (binary search on slices: fast for long prompts)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _error_body(status: int, message: str = "") -> dict[str, Any]:
    return {"error": {"message": message or f"fake server error {status}", "type": "server_error",
                      "code": status}}


def is_reasoning(model: str) -> bool:
    """OpenAI's reasoning models, as the fake server knows them."""
    return bool(re.match(r"^(o\d+(-|$)|gpt-5)", model))


Answer = tuple[int, dict[str, str], dict[str, Any]]


def _refusal(body: dict[str, Any], refused: Collection[str]) -> Answer | None:
    """A 400 for what a reasoning model does not take, a 500 for a refused response_format."""
    if is_reasoning(str(body.get("model", ""))):
        for name, instead in (("temperature", "only the default (1) is supported"),
                              ("max_tokens", "use 'max_completion_tokens' instead")):
            if name in body:
                return 400, {}, _error_body(400, f"Unsupported parameter: '{name}' is not supported"
                                                 f" with this model; {instead}.")
    kind = (body.get("response_format") or {}).get("type")
    if kind in refused:
        return 500, {}, _error_body(500, f"response_format type {kind!r} is not supported")
    return None


def _as_structured(content: str, stage: str) -> str:
    """A JSON-lines (or id list) answer rewritten in the schema's form."""
    if stage == "title":
        try:
            drops = json.loads(content)
        except ValueError:
            return content
        return json.dumps({"DROP": drops})
    keyed: dict[str, Any] = {}
    for line in content.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "ARXIVID" in record:
            keyed[record.pop("ARXIVID")] = record
    return json.dumps(keyed) if keyed else content


def _apply_usage(completion: dict[str, Any], usage: str, model: str) -> None:
    counts = completion["usage"]
    if is_reasoning(model):
        counts["completion_tokens_details"] = {"reasoning_tokens": 100}
        counts["completion_tokens"] += 100
        counts["total_tokens"] += 100
    if usage == "missing":
        del completion["usage"]
    elif usage == "negative":
        completion["usage"] = {"prompt_tokens": -10_000_000, "completion_tokens": -1_000_000,
                               "total_tokens": -11_000_000}


def _completion(body: dict[str, Any], reply: Scripted, prompt_tokens: int, cached: int) -> dict[str, Any]:
    completion_tokens = len(reply.content) // 4
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1751500000,
        "model": body.get("model", ""),
        "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                     "message": {"role": "assistant", "content": reply.content}}],
        "usage": {
            "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": min(cached, prompt_tokens)},
        },
    }


def _handler_for(server: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/props" and server.published_slots:
                self._send(200, {}, {"total_slots": server.published_slots})
            elif self.path.rstrip("/") == "/v1/models":
                time.sleep(server.models_delay)
                data = [{"id": m, "object": "model", "owned_by": "papersieve-tests"}
                        for m in server.models]
                self._send(200, {}, {"object": "list", "data": data})
            else:
                self._send(404, {}, _error_body(404))

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {}, _error_body(404))
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, {}, _error_body(400))
                return
            status, headers, payload = server.answer(body)
            if server.echo_auth and status >= 400 and payload is not None:
                # A server that quotes the request's credentials in its error (echo mode).
                payload["error"]["message"] += f" (Authorization: {self.headers.get('Authorization')})"
            self._send(status, headers, payload)

        def _send(self, status: int, headers: Mapping[str, str], payload: Any) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client timed out and went away
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
