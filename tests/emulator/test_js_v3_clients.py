"""AWS's JavaScript SDK v3 clients for IVS Chat and IVS Real-Time, under Node, drive IVS Local through
every operation of the vendored models: each call ends as the script expects (ok, or the modeled
error the call should get), and each request was signed for the model's signing name; a request
signed for another service is refused.

The operations to cover come from ``codegen/model/<service>/service-2.json``: a model with a new
operation fails here until its script (``js/ivschat_all.cjs``, ``js/ivsrealtime_all.cjs``) drives
it. The clients come from the npm registry at the first run, into ``.cache/js-v3`` (never committed:
they are AWS's, under AWS's terms). Outside CI, a machine without Node or npm skips these tests and
says why; in CI (``CI`` set) that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from ivs_async.testing import LocalIvs
from tests.support.npm import npm_install
from tests.support.npm import unavailable as _unavailable

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / ".cache" / "js-v3"
SCRIPTS = Path(__file__).parent / "js"
# The newest of each on the registry when pinned.
CLIENTS = {
    "ivschat": ("@aws-sdk/client-ivschat", "3.952.0", "ivschat_all.cjs"),
    "ivs-realtime": ("@aws-sdk/client-ivs-realtime", "3.1058.0", "ivsrealtime_all.cjs"),
}
TESTS = "the JS SDK v3 client tests"


def unavailable(reason: str) -> NoReturn:
    _unavailable(TESTS, reason)


def model(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "codegen" / "model" / service / "service-2.json").read_text())
    return document


@pytest.fixture(scope="module")
def node_modules() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("Node.js and npm are not installed on this machine")
    npm_install(JS_DIR, [f"{name}@{version}" for name, version, _ in CLIENTS.values()], TESTS)
    return JS_DIR / "node_modules"


@pytest.fixture(scope="module")
def emulator() -> Iterator[LocalIvs]:
    with LocalIvs() as ivs:
        yield ivs


def run(service: str, ivs: LocalIvs, node_modules: Path, tmp_path: Path, signing_name: str = "") -> dict[str, Any]:
    """The script's report: the client's version and each call it made."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        NODE_PATH=str(node_modules),
        IVS_LOCAL_ENDPOINT=ivs.endpoint,
        AWS_REGION=ivs.region,
        AWS_ACCESS_KEY_ID=ivs.credentials.access_key_id,
        AWS_SECRET_ACCESS_KEY=ivs.credentials.secret_access_key,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        SIGNING_NAME=signing_name,
    )
    script = SCRIPTS / CLIENTS[service][2]
    result = subprocess.run(["node", str(script)], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout[-3000:]
    report: dict[str, Any] = json.loads(lines[0])
    assert (report["service"], report["version"]) == (service, CLIENTS[service][1])
    return report


def describe(call: dict[str, Any]) -> str:
    """One failed call, as the backend's owner needs it: the request and the answer."""
    wire = call.get("wire") or {}
    return (
        f"{call['op']}: got {call['outcome']}, expected one of {call['expected']}"
        f"\n  request: {wire.get('method')} {wire.get('path')} {json.dumps(call['input'])}"
        f"\n  answer: {wire.get('status')} {wire.get('errorType') or ''} {call.get('message', '')}"
        f" {wire.get('body') or json.dumps(call.get('answer', ''))}"
    )


@pytest.mark.parametrize("service", sorted(CLIENTS))
def test_the_js_v3_client_drives_every_operation(
    service: str, emulator: LocalIvs, node_modules: Path, tmp_path: Path
) -> None:
    spec = model(service)
    calls = run(service, emulator, node_modules, tmp_path)["calls"]

    missing = sorted(set(spec["operations"]) - {c["op"] for c in calls})
    assert not missing, f"the {service} script does not drive {missing}"
    assert {c["op"] for c in calls} <= set(spec["operations"])
    # An error a call may end in must be one the model gives that operation.
    for call in calls:
        modeled = {e["shape"] for e in spec["operations"][call["op"]].get("errors", [])}
        assert set(call["expected"]) - {"ok"} <= modeled, call
    failures = [c for c in calls if c["outcome"] not in c["expected"]]
    if failures:
        pytest.fail(f"{len(failures)} of {len(calls)} {service} calls failed:\n" + "\n".join(map(describe, failures)))

    # Each call reached IVS Local, signed for the model's signing name in the emulator's region.
    scopes = {(c["wire"]["signedFor"]["service"], c["wire"]["signedFor"]["region"]) for c in calls}
    assert scopes == {(spec["metadata"]["signingName"], emulator.region)}


@pytest.mark.parametrize(
    ("service", "wrong"), [("ivschat", "ivs"), ("ivs-realtime", "ivsrealtime"), ("ivs-realtime", "ivschat")]
)
def test_a_request_signed_for_another_service_is_refused(
    service: str, wrong: str, emulator: LocalIvs, node_modules: Path, tmp_path: Path
) -> None:
    (call,) = run(service, emulator, node_modules, tmp_path, signing_name=wrong)["calls"]
    assert call["wire"]["signedFor"]["service"] == wrong
    assert (call["outcome"], call["wire"]["status"]) == ("InvalidSignatureException", 403), describe(call)
