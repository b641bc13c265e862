"""What the redactor costs on the text a large day writes to the store: the 817 abstracts of
2025-05-27 (1.06 MB) through `Redactor` with five secrets set (42 forms), best of 5.

Run: .venv/bin/python bench/redact_cost.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from papersieve.redact import Redactor

DAY = Path(__file__).resolve().parents[1] / "data" / "candidates" / "arxiv-2025-05-27-cs.LG+cs.AI.jsonl"


def main() -> None:
    texts = [json.loads(line)["abstract"] for line in DAY.read_text("utf-8").splitlines() if line]
    redactor = Redactor({
        "OPENAI_API_KEY": "sk-proj-" + "a1b2c3d4" * 20, "SLACK_BOT_TOKEN": "xoxb-1234567890-abcdefghij",
        "SMTP_PASSWORD": "hunter2-long-pass", "S2_API_KEY": "s2keyabcdefgh12345",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
    }, login="me@example.org")
    best = min(_time(redactor, texts) for _ in range(5))
    size = sum(len(t) for t in texts) / 1e6
    print(f"{len(texts)} abstracts, {size:.2f} MB: {best * 1000:.1f} ms")


def _time(redactor: Redactor, texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        redactor(text)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
