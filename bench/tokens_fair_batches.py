"""Tokens of a perfect ranker and of the hybrid when their LLM calls use the `llm` judge's batch sizes.

The seed's `adaptive_batch_size` grows a call's batches with the call's size, so a hybrid's
smaller calls pay the ~1,500-token fixed prompt more often per paper than the `llm` judge's. This
bench first lives the labelled days with the `llm` judge and records, per day and stage (title
base 8, abstract base 4), the batch size it used; then it replays those sizes in the calls of
the `llm` judge given only each day's picks (a perfect ranker's hybrid) and of the hybrid, and
finally lives the hybrid again with its own sizes. Same loopback LLM and days as
`tokens_llm_vs_hybrid.py`.

    .venv/bin/python bench/tokens_fair_batches.py [TITLE_KEEP]   (default 0.1: the calibrated regime)
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import papersieve.judges.llm.judge as llm_judge
import tokens_llm_vs_hybrid as bench

Row = tuple[str, int, int, int, int]

_own_size = llm_judge.adaptive_batch_size
_state: dict[str, str] = {"date": "", "mode": "record"}
_sizes: dict[tuple[str, int], int] = {}


def _size(base: int, n: int) -> int:
    """Record the `llm` judge's sizes, replay them, or size as the judge itself would."""
    if _state["mode"] == "own":
        return _own_size(base, n)
    key = (_state["date"], base)
    if _state["mode"] == "record":
        _sizes[key] = _own_size(base, n)
        return _sizes[key]
    return _sizes.get(key, _own_size(base, n))


_run_day = bench.run_day


def _dated_run_day(store: Any, profile: Any, date: dt.date, **kwargs: Any) -> Any:
    _state["date"] = date.isoformat()
    return _run_day(store, profile, date, **kwargs)


def _tokens(rows: list[Row], start: int) -> int:
    return sum(r[2] + r[3] for r in rows[start:])


def main() -> None:
    keep = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    llm_judge.adaptive_batch_size = _size  # type: ignore[assignment]
    bench.run_day = _dated_run_day  # type: ignore[assignment]
    os.environ["OPENAI_API_KEY"] = "bench"
    dates = sorted(bench.labelled_days())
    drops = bench.title_drops(dates, keep, "topical")
    with bench.FakeLLM(title_drops=drops) as llm, tempfile.TemporaryDirectory() as tmp:
        os.environ["OPENAI_BASE_URL"] = llm.url
        rows = {"llm": bench.live("llm", dates, Path(tmp) / "llm", None)}
        bench.picks_only(Path(tmp) / "picks")
        _state["mode"] = "replay"
        rows["oracle"] = bench.live("llm", dates, Path(tmp) / "oracle", None, Path(tmp) / "picks")
        rows["hybrid"] = bench.live("hybrid", dates, Path(tmp) / "hybrid", None)
        _state["mode"] = "own"
        rows["hybrid, own sizes"] = bench.live("hybrid", dates, Path(tmp) / "hybrid-own", None)
    for label, start in (("all days", 0), (f"after {bench.WARM_UP} days", bench.WARM_UP)):
        llm_total = _tokens(rows["llm"], start)
        kept_llm = sum(r[4] for r in rows["llm"][start:])
        parts = [f"llm {llm_total:,}"]
        for name in ("oracle", "hybrid", "hybrid, own sizes"):
            total = _tokens(rows[name], start)
            kept = sum(r[4] for r in rows[name][start:])
            parts.append(f"{name} {total:,} = {total / llm_total:.1%} (picks kept {kept}/{kept_llm})")
        print(f"title stage keeps {keep:g} of the non-picks, {label}: " + "; ".join(parts))
    print(f"command: .venv/bin/python bench/tokens_fair_batches.py {keep:g}")


if __name__ == "__main__":
    main()
