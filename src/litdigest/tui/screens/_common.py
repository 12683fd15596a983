"""Helpers shared by the screens."""

from __future__ import annotations

from textual.content import Content


def plain(text: str, style: str = "") -> Content:
    content = Content(text, strip_control_codes=False)
    return content.stylize(style) if style else content
