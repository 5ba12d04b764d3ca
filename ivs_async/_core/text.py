"""Text from outside the process made safe to keep, print and log."""

from __future__ import annotations


def printable(text: str, limit: int) -> str:
    """``text`` safe to print and log: valid Unicode (undecodable bytes from headers become
    U+FFFD), no control characters but line breaks and tabs (AWS's signature messages have
    them), at most ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit] + "..."
    if text.isprintable():
        return text
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text)
