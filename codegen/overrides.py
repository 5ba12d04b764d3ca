"""Corrections applied to the vendored model before generation, each with its reason.

The generator fails if a correction no longer matches the model, so a fixed upstream model
makes us delete the entry instead of silently patching something else.
"""

from __future__ import annotations

_ONE_LETTER_TYPE = (
    "the model allows a one-letter resource type, which no real ARN has "
    "(channel, room, stage, ...); taken literally it rejects every ARN"
)

# service package -> shape name -> (pattern in the model, pattern we validate with, why)
PATTERN_FIXES: dict[str, dict[str, tuple[str, str, str]]] = {
    "ivs": {
        "ResourceArn": (
            "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]/[a-zA-Z0-9-]+",
            "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]+/[a-zA-Z0-9-]+",
            _ONE_LETTER_TYPE,
        ),
    },
    "ivschat": {
        "ResourceArn": (
            "arn:aws:ivschat:[a-z0-9-]+:[0-9]+:[a-z-]/[a-zA-Z0-9-]+",
            "arn:aws:ivschat:[a-z0-9-]+:[0-9]+:[a-z-]+/[a-zA-Z0-9-]+",
            _ONE_LETTER_TYPE,
        ),
    },
    "ivs_realtime": {
        "ResourceArn": (
            "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]/[a-zA-Z0-9-]+",
            "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]+/[a-zA-Z0-9-]+",
            _ONE_LETTER_TYPE,
        ),
    },
}

# Unicode classes of the model's (Java) patterns, spelled for Python's re module.
# \p{Z}: the space, line and paragraph separators.
UNICODE_SEPARATORS = "\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
