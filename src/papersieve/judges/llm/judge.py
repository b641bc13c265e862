"""The LLM judge: an optional title stage, then the abstract stage, as the seed system had, with
a cache, concurrency within a per-minute limit, retries of exactly the missing papers, a cost cap,
and one judgement (or recorded reason) per paper."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from papersieve.errors import JudgeError
from papersieve.judges.interface import Judge, JudgeResult, ProgressCallback
from papersieve.judges.llm.batching import adaptive_batch_size, make_batches
from papersieve.judges.llm.client import ChatClient, ChatReply
from papersieve.judges.llm.keys import is_openai, resolve_api_key, resolve_base_url
from papersieve.judges.llm.parsing import parse_abstract_reply, parse_title_reply
from papersieve.judges.llm.pricing import price_for, price_table
from papersieve.judges.llm.prompts import Stage, prompt_hash, prompt_text, with_output_requests
from papersieve.judges.llm.ratelimit import RateLimiter
from papersieve.judges.llm.runner import Resolution, RunContext, StageResult, StageRunner
from papersieve.judges.llm.server import choose_model, served_models, server_slots
from papersieve.judges.llm.shared import GroupBudget, ServerShare
from papersieve.judges.llm.structured import MODES, Mode, batch_schema
from papersieve.language import is_english
from papersieve.models import Judgement, Outcome, Paper
from papersieve.outbound import LLM
from papersieve.profile.loader import Profile
from papersieve.store.db import Store
from papersieve.store.judgements import cached_judgements, save_judgements
from papersieve.store.llm_servers import remembered
from papersieve.store.papers import stored_ids, upsert_papers
from papersieve.tldr import LLM as LLM_TLDR

NAME = "llm"
KEPT_BY_TITLE = "kept by the title stage"
OPENAI_DEFAULT_MODEL = "gpt-4o"


class LLMJudge(Judge):
    """Scores papers with a chat model on any OpenAI-compatible server."""

    name = NAME

    def __init__(
        self, profile: Profile, store: Store, *, api_key: str | None = None,
        base_url: str | None = None, title_stage: bool | None = None,
        timeout: float | None = None, backoff: float = 1.0, share: ServerShare | None = None,
        budget: GroupBudget | None = None,
    ) -> None:
        self.profile = profile
        self.share = share
        """A group's: the server's one rate limit and bound on requests in flight (`shared`)."""
        self.budget = budget
        """A group's: the run's cost cap across profiles."""
        self.store = store
        self.settings = profile.settings.judge
        self.title_stage = self.settings.title_stage if title_stage is None else title_stage
        key = resolve_api_key(api_key)
        if key is None:
            raise JudgeError("no API key: set OPENAI_API_KEY (any value for a local server)",
                             model=self.settings.model)
        self._api_key = key
        self.base_url = resolve_base_url(base_url, self.settings.base_url)
        self.timeout = timeout if timeout is not None else self.settings.timeout
        self.policy = dataclasses.replace(LLM, backoff=backoff, timeout=self.timeout, deadline=self.timeout)
        """The `LLM` policy with this judge's backoff base and timeout."""
        self._model: str | None = self.settings.model or None
        outputs = profile.settings.outputs
        self.tldr = outputs.tldr
        self.language = "" if is_english(outputs.language) else outputs.language
        self.prompts = with_output_requests(profile.prompts, self.tldr, outputs.language)
        """The prompt files as sent: the profile's, plus what `[outputs]` asks of the replies."""

    @property
    def model(self) -> str:
        """The chat model's name: the profile's; else gpt-4o on OpenAI's API; else the one model
        the server serves (asked once; sending `gpt-4o` to a local server that accepts any name
        made its tokens look like gpt-4o's)."""
        if self._model is None:
            if is_openai(self.base_url):
                self._model = OPENAI_DEFAULT_MODEL
            else:
                where = self.where
                self._model = choose_model(served_models(str(self.base_url), self._api_key, where),
                                           where)
        return self._model

    @property
    def where(self) -> str:
        """The server's address, fit to show (no credentials)."""
        return _without_credentials(self.base_url) if self.base_url else "the OpenAI API"

    @property
    def prompt_hash(self) -> str:
        """The abstract stage's prompt hash (the one recorded with scored judgements)."""
        return prompt_hash(self.prompts, self.model, "abstract")

    def stage_hash(self, stage: Stage) -> str:
        """The prompt hash of one stage (the title stage's does not change with `[outputs]`)."""
        prompts = self.prompts if stage == "abstract" else self.profile.prompts
        return prompt_hash(prompts, self.model, stage)

    def judge(
        self, papers: Sequence[Paper], run_id: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> JudgeResult:
        """One judgement per paper: cached, title-filtered, scored, failed or stopped by the cap."""
        unique = list({p.id: p for p in papers}.values())
        _ensure_stored(self.store, unique)
        if not unique:
            return JudgeResult((), prompt=prompt_text(self.prompts, "abstract"))
        model = self.model
        client = ChatClient(self._api_key, self.base_url, model,
                            temperature=self.settings.temperature, seed=self.settings.seed,
                            timeout=self.timeout, policy=self.policy)
        concurrency, adapt = self._concurrency()
        with ThreadPoolExecutor(concurrency, thread_name_prefix="llm") as pool:
            ctx = RunContext(
                client=client, executor=pool, slots=self.share.slots if self.share else None,
                limiter=self.share.limiter if self.share else RateLimiter(self.settings.calls_per_minute),
                store=self.store, prompts=self.prompts, model=model, tldr=self.tldr,
                price=price_for(model, price_table(shipped=is_openai(self.base_url))),
                papers={p.id: p for p in unique}, concurrency=1 if adapt else concurrency,
                max_retries=self.settings.max_retries, cost_cap=self._cost_cap(),
                run_id=run_id, policy=self.policy, progress=progress, server=self.where,
                reply_tokens=self.settings.reply_tokens_per_paper, token_cap=self.settings.token_cap,
                adapt=adapt, ceiling=concurrency,
            )
            self._structured(ctx)
            self._batch_limits(ctx)
            try:
                return self._judge(unique, ctx)
            finally:
                client.close()
                if self.budget is not None:
                    self.budget.add(self.profile.name, ctx.spent)

    def _cost_cap(self) -> float:
        """The profile's cost cap, or what is left of its group's budget when that is smaller."""
        own = self.settings.cost_cap
        return self.budget.cap_for(own) if self.budget is not None else own

    def _cap_name(self, ctx: RunContext) -> str:
        """The cap that stopped the judging: the token cap (no known price), the group's cost
        cap when what was left of it was below the profile's own, else the profile's."""
        if ctx.price is None:
            return f"token cap {self.settings.token_cap}"
        own = self.settings.cost_cap
        group = self.budget.cap if self.budget is not None else 0.0
        if group > 0 and (own <= 0 or ctx.cost_cap < own):
            return f"the group's cost cap ${group:g} (judge.group_cost_cap)"
        return f"cost cap ${own:g}"

    def _concurrency(self) -> tuple[int, bool]:
        """The most requests in flight, and whether to find it from latency: the profile's
        concurrency, never above the slots a server says it has; a server that does not say
        starts from one (8 requests queued in a one-slot server timed out while it computed)."""
        wanted = self.settings.concurrency
        if wanted == 1 or is_openai(self.base_url):
            return wanted, False
        slots = server_slots(str(self.base_url), self._api_key)
        return (min(wanted, slots), False) if slots else (wanted, True)

    def _structured(self, ctx: RunContext) -> None:
        """The structured-output form to start with: the profile's, or for `auto` the one that
        worked with this server and model before, else the strongest."""
        setting = self.settings.structured
        if setting != "auto":
            ctx.mode = setting
            return
        known = remembered(self.store, ctx.server, ctx.model, "structured")
        ctx.negotiate = True
        ctx.remembered_mode = known
        ctx.mode = _as_mode(known) or MODES[0]

    def _batch_limits(self, ctx: RunContext) -> None:
        for stage in ("title", "abstract"):
            key = f"max_batch_{stage}"
            value = remembered(self.store, ctx.server, ctx.model, key)
            if value is not None and value.isdigit():
                ctx.batch_limits[key] = int(value)

    def _batch_size(self, ctx: RunContext, stage: Stage, base: int, n: int) -> int:
        """The adaptive batch size, below any size this server refused for its length."""
        size = adaptive_batch_size(base, n)
        return min(size, ctx.batch_limits.get(f"max_batch_{stage}", size))

    def _judge(self, papers: list[Paper], ctx: RunContext) -> JudgeResult:
        final: dict[str, Judgement] = dict(self._cached("abstract", papers))
        ctx.done = len(final)
        ctx.report("cache read")
        todo = [p for p in papers if p.id not in final]
        failed_before: dict[str, str] = {}
        if self.title_stage and todo:
            dropped, failed_before = self._title_stage(todo, ctx)
            final.update(dropped)
            todo = [p for p in todo if p.id not in dropped]
        result = self._abstract_stage(todo, ctx)
        final.update(result.settled)
        final.update(self._unjudged(result, ctx))
        ctx.done = len(final)
        ctx.report("done")
        if ctx.successes == 0 and ctx.calls > 0:
            raise self._no_success(ctx)
        notes = self._notes(papers, final, ctx, len(failed_before))
        return JudgeResult(
            judgements=tuple(final[p.id] for p in papers), usage=ctx.usage, calls=ctx.calls,
            prompt=dataclasses.replace(prompt_text(self.prompts, "abstract"),
                                       schema=shown_schema(ctx)), notes=tuple(notes),
        )

    def _no_success(self, ctx: RunContext) -> JudgeError:
        """Every call failed: a run would only write an empty digest. Its papers stay unjudged
        (nothing is cached for them), so the next run asks for them again."""
        failure = ctx.fatal or ctx.last_failure
        why = failure.error if failure is not None and failure.error else "no reply"
        where = self.where
        if failure is not None and failure.status is None:
            return JudgeError(f"no reply from the LLM server at {where} ({why})", model=self.model)
        if ctx.fatal is not None:
            return JudgeError(f"the LLM server at {where} refused every call ({why})",
                              model=self.model, status=ctx.fatal.status)
        status = failure.status if failure is not None else None
        return JudgeError(f"every call to the LLM server at {where} failed ({why})", model=self.model,
                          status=status)

    def _cached(self, stage: Stage, papers: Sequence[Paper]) -> dict[str, Judgement]:
        outcomes = (Outcome.JUDGED, Outcome.FILTERED_TITLE) if stage == "title" else (Outcome.JUDGED,)
        return cached_judgements(self.store, NAME, stage, self.model, self.stage_hash(stage), papers,
                                 outcomes)

    def _title_stage(
        self, papers: list[Paper], ctx: RunContext
    ) -> tuple[dict[str, Judgement], dict[str, str]]:
        """Papers dropped by their title (cached or asked); papers it failed on go on to abstracts."""
        cached = self._cached("title", papers)
        ask = [p.id for p in papers if p.id not in cached]
        size = self._batch_size(ctx, "title", self.settings.title_batch, len(papers))
        resolve = TitleResolver(self.model, self.stage_hash("title"))
        saver = StageSaver(self.store, ctx, "title")
        result = StageRunner(ctx, "title", resolve, saver).run(make_batches(ask, size))
        settled = {**cached, **result.settled}
        dropped = {i: j for i, j in settled.items() if j.outcome is Outcome.FILTERED_TITLE}
        ctx.done += sum(1 for i in dropped if i in cached)
        # Papers the title stage could not settle (failures, cost cap) still get an abstract look,
        # where the cap or a failure is recorded as their outcome.
        return dropped, result.failed

    def _abstract_stage(self, papers: list[Paper], ctx: RunContext) -> StageResult:
        size = self._batch_size(ctx, "abstract", self.settings.abstract_batch, len(papers))
        resolve = AbstractResolver(self.model, self.prompt_hash, self.tldr, self.language)
        runner = StageRunner(ctx, "abstract", resolve, StageSaver(self.store, ctx, "abstract"))
        return runner.run(make_batches([p.id for p in papers], size))

    def _unjudged(self, result: StageResult, ctx: RunContext) -> dict[str, Judgement]:
        """FAILED and COST_CAP judgements, saved so the run's record is complete."""
        out: dict[str, Judgement] = {}
        for paper_id, detail in result.failed.items():
            out[paper_id] = Judgement(paper_id, Outcome.FAILED, NAME, self.model, self.prompt_hash,
                                      detail=detail)
        cap = f"not judged: {self._cap_name(ctx)} reached"
        for paper_id in result.capped:
            out[paper_id] = Judgement(paper_id, Outcome.COST_CAP, NAME, self.model, self.prompt_hash,
                                      detail=cap)
        if out:
            save_judgements(self.store, out.values(), ctx.papers, ctx.run_id, "abstract")
        return out

    def _notes(
        self, papers: list[Paper], final: dict[str, Judgement], ctx: RunContext, title_failures: int
    ) -> list[str]:
        counts = {o: sum(1 for j in final.values() if j.outcome is o) for o in Outcome}
        notes = []
        if counts[Outcome.COST_CAP]:
            notes.append(f"{self._cap_name(ctx)} reached: {counts[Outcome.COST_CAP]} papers not judged")
        if ctx.price is None:
            cap = (f"the token cap ({self.settings.token_cap} tokens) applies instead"
                   if self.settings.token_cap else "no token cap set (judge.token_cap)")
            notes.append(f"price of model {self.model} unknown: cost not counted; {cap}")
        elif ctx.usage_unknown:
            notes.append(f"{ctx.usage_unknown} calls reported no usable token counts: cost unknown;"
                         " the cost cap counted each at its highest estimate")
        if counts[Outcome.FAILED]:
            notes.append(f"{counts[Outcome.FAILED]} papers failed after retries")
        if title_failures:
            notes.append(f"title stage failed on {title_failures} papers; their abstracts were read")
        if ctx.fatal is not None:
            notes.append(f"stopped calling: {ctx.fatal.error}")
        return notes


class StageSaver:
    """Saves a batch's judgements the moment its reply is read, and counts finished papers."""

    def __init__(self, store: Store, ctx: RunContext, stage: Stage) -> None:
        self.store = store
        self.ctx = ctx
        self.stage = stage

    def __call__(self, judgements: Sequence[Judgement]) -> None:
        save_judgements(self.store, judgements, self.ctx.papers, self.ctx.run_id, self.stage)
        finished = judgements
        if self.stage == "title":
            finished = [j for j in judgements if j.outcome is Outcome.FILTERED_TITLE]
        self.ctx.done += len(finished)


class TitleResolver:
    """A title reply settles its whole batch when it holds a list: listed ids dropped, others kept."""

    def __init__(self, model: str, phash: str) -> None:
        self.model = model
        self.phash = phash

    def __call__(self, reply: ChatReply, ids: tuple[str, ...]) -> Resolution:
        parsed = parse_title_reply(reply.text, ids)
        if not parsed.complete or reply.finish_reason == "length":
            return Resolution({}, parsed.problems or ["reply cut off"])
        settled = {}
        for paper_id in ids:
            dropped = paper_id in parsed.drops
            settled[paper_id] = Judgement(
                paper_id, Outcome.FILTERED_TITLE if dropped else Outcome.JUDGED, NAME, self.model,
                self.phash, detail="dropped by the title stage" if dropped else KEPT_BY_TITLE,
            )
        return Resolution(settled, parsed.problems)


class AbstractResolver:
    """An abstract reply settles the papers it scored (a missing TL;DR is no failure)."""

    def __init__(self, model: str, phash: str, tldr: bool = False, language: str = "") -> None:
        self.model = model
        self.phash = phash
        self.tldr = tldr
        self.language = language

    def __call__(self, reply: ChatReply, ids: tuple[str, ...]) -> Resolution:
        parsed = parse_abstract_reply(reply.text, ids)
        settled = {
            s.paper_id: Judgement(s.paper_id, Outcome.JUDGED, NAME, self.model, self.phash,
                                  relevance=s.relevance, novelty=s.novelty, comment=s.comment,
                                  tldr=s.tldr if self.tldr else "",
                                  tldr_kind=LLM_TLDR if self.tldr and s.tldr else "",
                                  language=self.language)
            for s in parsed.items.values()
        }
        if not reply.text.strip():
            parsed.problems.append("empty reply")
        return Resolution(settled, parsed.problems, frozenset(parsed.conflicts))


def shown_schema(ctx: RunContext) -> str:
    """The schema the abstract replies were constrained to, one `<arXiv id>` standing for every
    paper (the JSON digest shows it; the seed Markdown does not), or "" when none was sent."""
    answered = ctx.answered_modes - {"off"}
    if not answered and (ctx.answered_modes or ctx.mode == "off"):
        return ""
    return json.dumps(batch_schema("abstract", ["<arXiv id>"], tldr=ctx.tldr), separators=(",", ":"))


def _as_mode(value: str | None) -> Mode | None:
    for mode in MODES:
        if mode == value:
            return mode
    return None


def _ensure_stored(store: Store, papers: Sequence[Paper]) -> None:
    """Judgements reference papers: store the ones the store does not know yet."""
    known = stored_ids(store, (p.id for p in papers))
    missing = [p for p in papers if p.id not in known]
    if missing:
        upsert_papers(store, missing)


def _without_credentials(url: str) -> str:
    """`url` without a user or password in it (they never belong in a message)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc)) if parts.netloc else url
