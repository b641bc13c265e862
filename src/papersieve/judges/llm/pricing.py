"""What a call costs: the shipped price table, extended by `$PAPERSIEVE_HOME/prices.toml`.

An unknown model has an unknown cost (None), never 0: a digest must not claim a free run. The
shipped table holds OpenAI's prices, so it applies to OpenAI's API only: a local server that
accepts any model name must not be billed at gpt-4o rates. The user's file applies to any server
(whoever pays a provider lists its prices there).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from papersieve.errors import ConfigError
from papersieve.home import home_dir
from papersieve.models import Usage

USER_FILE = "prices.toml"
_DATED = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Price:
    """Dollars per 1M tokens."""

    prompt: float
    cached_prompt: float
    completion: float


def _read(text: str, source: str) -> dict[str, Price]:
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML ({err})", path=source) from err
    prices = {}
    for model, row in (raw.get("models") or {}).items():
        try:
            prompt = float(row["prompt"])
            prices[str(model)] = Price(prompt, float(row.get("cached_prompt", prompt)),
                                       float(row["completion"]))
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError("needs numeric prompt and completion prices", path=source,
                              key=f"models.{model}") from err
    return prices


def price_table(user_file: Path | None = None, *, shipped: bool = True) -> dict[str, Price]:
    """Shipped prices (unless `shipped` is False), overridden model by model by the user's file."""
    table: dict[str, Price] = {}
    if shipped:
        text = resources.files("papersieve").joinpath("data/prices.toml").read_text("utf-8")
        table = _read(text, "papersieve/data/prices.toml")
    path = user_file if user_file is not None else home_dir() / USER_FILE
    if path.is_file():
        table.update(_read(path.read_text("utf-8"), str(path)))
    return table


def price_for(model: str, table: dict[str, Price] | None = None) -> Price | None:
    """The model's price; a dated snapshot (`gpt-4o-2024-08-06`) falls back to its family."""
    prices = table if table is not None else price_table()
    return prices.get(model) or prices.get(_DATED.sub("", model))


def usage_with_cost(
    prompt_tokens: int, completion_tokens: int, cached_tokens: int, price: Price | None
) -> Usage:
    """A `Usage` whose costs are None when the price is unknown."""
    if price is None:
        return Usage(prompt_tokens, completion_tokens, cached_tokens, None, None)
    cached = min(cached_tokens, prompt_tokens)
    prompt_cost = ((prompt_tokens - cached) * price.prompt + cached * price.cached_prompt) / 1e6
    return Usage(prompt_tokens, completion_tokens, cached_tokens, prompt_cost,
                 completion_tokens * price.completion / 1e6)


def estimate_cost(prompt_tokens: int, completion_tokens: int, price: Price | None) -> float | None:
    """Upper estimate of a call not yet made (no cache discount)."""
    if price is None:
        return None
    return (prompt_tokens * price.prompt + completion_tokens * price.completion) / 1e6
