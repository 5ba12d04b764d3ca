"""Our own descriptions for generated docstrings (the vendored models have no prose): a module
per service, named as its model folder (``ivs``, ``ivschat``, ``ivs_realtime``).

Keys are model names. The generator fails when an operation or a non-request/response
structure has no entry, so a model update cannot silently ship undocumented code.
The docstrings are Markdown: the reference site renders them (mkdocstrings), help() shows them.
"""

from __future__ import annotations


class Prose(str):
    """A default told in words (which the docstrings show as they are), not a value."""
