"""The local judge: no network, no key; learns from feedback and from the LLM's past judgements."""

from __future__ import annotations

from papersieve.judges.local.judge import LocalJudge
from papersieve.judges.local.model.training import TrainReport, retrain

__all__ = ["LocalJudge", "TrainReport", "retrain"]
