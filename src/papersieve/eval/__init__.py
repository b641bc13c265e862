"""`papersieve eval`: replay labelled days in date order and measure the judges."""

from __future__ import annotations

from papersieve.eval.labels import LabelBook, load_days
from papersieve.eval.replay import JUDGES, JudgeReport, replay

__all__ = ["JUDGES", "JudgeReport", "LabelBook", "load_days", "replay"]
