"""Judges score papers against a profile: `llm` (any OpenAI-compatible server), `local` (no key,
no network) and `hybrid` (the local ranker decides what the LLM sees)."""
