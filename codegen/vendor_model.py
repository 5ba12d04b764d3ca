"""Vendor botocore's model of a service as data, without its documentation prose.

Run by hand when AWS updates a model (ivs, ivschat or ivs-realtime)::

    python codegen/vendor_model.py path/to/botocore/data/ivschat/2020-07-14 "botocore X.Y.Z"

It reads ``service-2.json``, ``paginators-1.json`` and ``endpoint-rule-set-1.json`` (each
possibly ``.json.gz``) from that folder into ``codegen/model/<service>/``, and
``partitions.json`` from botocore's data folder three levels up into ``codegen/model/``. The
generator never reads botocore itself.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

MODEL_DIR = Path(__file__).parent / "model"
DROPPED_KEYS = frozenset({"documentation", "documentationUrl", "examples"})


def _load(folder: Path, stem: str) -> Any:
    plain = folder / f"{stem}.json"
    if plain.exists():
        return json.loads(plain.read_text())
    return json.loads(gzip.decompress((folder / f"{stem}.json.gz").read_bytes()))


def strip_prose(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip_prose(v) for k, v in node.items() if k not in DROPPED_KEYS}
    if isinstance(node, list):
        return [strip_prose(v) for v in node]
    return node


def main(folder: str, source: str = "") -> None:
    src = Path(folder)
    model = strip_prose(_load(src, "service-2"))
    if source:
        model["metadata"]["vendoredFrom"] = source
    out = MODEL_DIR / src.parent.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "service-2.json").write_text(json.dumps(model, indent=1, sort_keys=True) + "\n")
    for stem in ("paginators-1", "endpoint-rule-set-1"):
        data = strip_prose(_load(src, stem))
        (out / f"{stem}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    partitions = _load(src.parents[1], "partitions")
    (MODEL_DIR / "partitions.json").write_text(json.dumps(partitions, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
