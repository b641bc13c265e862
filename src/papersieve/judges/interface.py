"""What every judge offers. A judge returns exactly one `Judgement` per paper it was given:
scores, or an outcome that says why there are none."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from papersieve.models import Judgement, Paper, PromptText, Usage


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress displays."""

    papers_done: int
    papers_total: int
    calls: int = 0
    usage: Usage = Usage()
    message: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class JudgeResult:
    """What a judge produced for a batch of papers."""

    judgements: tuple[Judgement, ...]
    usage: Usage = Usage()
    calls: int = 0
    prompt: PromptText | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Things the user should be told (fell back, sent everything, hit the cost cap)."""


class Judge(ABC):
    """Scores papers; never drops one."""

    name: str = "judge"
    trains_itself: bool = False
    """True when whoever made the judge retrains the local model (a crowd, within its day's
    budget): the pipeline then does not retrain the profile itself."""

    @property
    @abstractmethod
    def model(self) -> str:
        """The model name recorded with each judgement (e.g. gpt-4o, tfidf-logreg-v3)."""

    @property
    @abstractmethod
    def prompt_hash(self) -> str:
        """Hash of everything besides the paper that decides a judgement (cache key part)."""

    @abstractmethod
    def judge(
        self,
        papers: Sequence[Paper],
        run_id: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> JudgeResult:
        """One judgement per paper, in any order."""
