"""Golden-set evaluation of summarizer backends (``litdigest eval``).

Modules: ``golden`` (YAML golden sets), ``match`` (semantic match of claims and key points,
calibrated), ``metrics`` (per case, per field, aggregate), ``replay`` (record / replay of
model HTTP exchanges), ``runner`` (summarize and score), ``report`` (JSON, Markdown, PNG),
``cli`` (the typer command).
"""
