"""The committed generated code is what the generator makes from the vendored model."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "codegen"))

import generate  # noqa: E402


def test_committed_generated_code_matches_a_fresh_generation(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "codegen" / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_mode_detects_drift(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    assert generate.main(["--out", str(out)]) == 0
    assert generate.main(["--check", "--out", str(out)]) == 0
    for service in ("ivs", "ivschat", "ivs_realtime"):
        models = out / service / "models.py"
        text = models.read_text()
        models.write_text(text + "# edited by hand\n")
        assert generate.main(["--check", "--out", str(out)]) == 1, service
        models.write_text(text)
    assert generate.main(["--check", "--out", str(out)]) == 0
    (out / "ivschat" / "stray.py").write_text("")
    assert generate.main(["--check", "--out", str(out)]) == 1
    (out / "ivschat" / "stray.py").unlink()
    (out / "ivs_realtime" / "errors.py").unlink()
    assert generate.main(["--check", "--out", str(out)]) == 1


@pytest.mark.parametrize(("folder", "operations"), [("ivs", 46), ("ivschat", 17), ("ivs-realtime", 40)])
def test_vendored_models_have_no_documentation_prose(folder: str, operations: int) -> None:
    text = (ROOT / "codegen" / "model" / folder / "service-2.json").read_text()
    assert '"documentation"' not in text
    model = json.loads(text)
    assert model["metadata"]["protocol"] == "rest-json"
    assert model["metadata"]["apiVersion"] == "2020-07-14"
    assert len(model["operations"]) == operations


@pytest.mark.parametrize(
    ("name", "camel"),
    [
        ("recording_configuration_arn", "recordingConfigurationArn"),
        ("x_content_type_options", "xContentTypeOptions"),
        ("batch_start_viewer_session_revocation", "BatchStartViewerSessionRevocation"),
        ("srt", "srt"),
    ],
)
def test_snake_case(name: str, camel: str) -> None:
    assert generate.snake(camel) == name


def test_java_unicode_classes_become_python_patterns() -> None:
    pattern = generate.py_pattern("ivs", "TagKey", r"([\p{L}\p{Z}\p{N}_.:/=+\-@]+)")
    for ok in ("abc", "Zürich büro", "東京 ٣", "a_b.c:d/e=f+g-h@i", "x\u00a0y"):
        assert re.fullmatch(pattern, ok), ok
    for bad in ("a#b", "tab\tsep", "new\nline", ""):
        assert not re.fullmatch(pattern, bad), bad


def test_unknown_pattern_constructs_stop_generation() -> None:
    with pytest.raises(SystemExit):
        generate.py_pattern("ivs", "X", r"\p{Lu}+")


def test_pattern_fix_must_still_match_the_model() -> None:
    with pytest.raises(SystemExit, match="no longer matches"):
        generate.py_pattern("ivs", "ResourceArn", "arn:aws:ivs:.*")


def test_the_package_exports_every_command() -> None:
    import ivs_async
    from ivs_async._generated.ivs import COMMAND_NAMES

    assert set(COMMAND_NAMES) <= set(ivs_async.__all__)
    assert all(getattr(ivs_async, name).__name__ == name for name in COMMAND_NAMES)


@pytest.mark.parametrize("public", ["ivs_async.chat", "ivs_async.realtime"])
def test_every_service_package_exports_its_commands_models_errors_and_paginators(public: str) -> None:
    import importlib

    package = {"ivs_async.chat": "ivschat", "ivs_async.realtime": "ivs_realtime"}[public]
    generated = importlib.import_module(f"ivs_async._generated.{package}")
    commands = importlib.import_module(f"{public}.commands")
    assert len(generated.COMMAND_NAMES) > 10
    for name in generated.COMMAND_NAMES:
        cls = getattr(commands, name)
        assert cls.__module__ == f"{public}.commands"
        assert cls.operation.service is generated.SERVICE
        output = cls.operation.output_cls
        assert output.__module__ == f"{public}.models", output
        assert getattr(importlib.import_module(f"{public}.models"), output.__name__) is output
    errors = importlib.import_module(f"{public}.errors")
    for code, error in generated.errors.MODELED_ERRORS.items():
        assert getattr(errors, code) is error and error.__module__ == f"{public}.errors"
        assert issubclass(error, generated.errors.SERVICE_ERROR)
