"""Summarizer backends: ``extractive`` (offline, deterministic) and ``openai`` (any
OpenAI-compatible server)."""
