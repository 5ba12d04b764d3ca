"""The documentation site builds with `mkdocs build --strict`, shows every public name, and renders
what its docstrings say: no raw reST, links between commands and their models, IVS's defaults,
signatures formatted to the page, and the guides in the navigation."""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ivs_async import commands, credentials, errors, models, waiters
from ivs_async._generated.ivs.commands import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "codegen"))

import generate  # noqa: E402
from descriptions import ivs as descriptions  # noqa: E402

# reST roles (:class:`X`, :py:meth:`Y`...), which Markdown shows as they are (the backticks become code).
_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|exc|data|obj|const|ref|term):")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text()


def test_the_site_builds_strictly_with_every_operation(site: Path) -> None:
    pages = {p: page(site, f"reference/{p}") for p in ("commands", "credentials", "errors", "models", "waiters")}
    # Every command and Params alias, every model (those that load on first use too: the griffe
    # extension in docs/ makes them visible to the reference).
    for name in commands.__all__:
        assert f'id="ivs_async.commands.{name}"' in pages["commands"], name
    for name in models.__all__:
        assert f'id="ivs_async.models.{name}"' in pages["models"], name
    for name in errors.__all__:
        assert f'id="ivs_async.errors.{name}"' in pages["errors"], name
    for name in credentials.__all__:  # the providers load on first use too
        assert f'id="ivs_async.credentials.{name}"' in pages["credentials"], name
    for name in waiters.__all__:
        assert f'id="ivs_async.waiters.{name}"' in pages["waiters"], name
    assert "Keyword arguments (the input" in pages["commands"]


# Each other service's reference page: its package and generated package.
_SERVICES = {"chat": "ivschat", "realtime": "ivs_realtime"}


@pytest.mark.parametrize("service", sorted(_SERVICES))
def test_the_chat_and_realtime_references_show_every_public_name(site: Path, service: str) -> None:
    text = page(site, f"reference/{service}")
    package = f"ivs_async.{service}"
    for module in ("commands", "models", "errors", "paginators"):
        names = importlib.import_module(f"{package}.{module}").__all__
        assert names, module
        for name in names:  # the models and Params aliases that load on first use too
            assert f'id="{package}.{module}.{name}"' in text, (module, name)
    clients = [name for name in importlib.import_module(package).__all__ if name.startswith("Ivs")]
    assert len(clients) == 2, clients
    for client in clients:
        assert f'id="{package}.{client}"' in text, client
    # The low-level client shows what it inherits, as IvsClient's reference does.
    low_level = next(client for client in clients if client.endswith("Client"))
    for member in ("send", "middleware_stack"):
        assert f'id="{package}.{low_level}.{member}"' in text, member
    # Every command links to its input, output and Params alias, and its Params back to it.
    operations = importlib.import_module(f"ivs_async._generated.{_SERVICES[service]}.commands").OPERATIONS
    sections = _sections(text, f"{package}.commands.")
    for name, operation in operations.items():
        for target in (
            f"#{package}.models.{operation.input.name}",
            f"#{package}.models.{operation.output.name}",
            f"#{package}.commands.{name}Params",
        ):
            assert f'href="{target}"' in sections[f"{name}Command"], (name, target)
        assert f'href="#{package}.commands.{name}Command"' in sections[f"{name}Params"], name


def test_the_chat_reference_shows_the_messaging_client(site: Path) -> None:
    text = page(site, "reference/chat")
    from ivs_async.chat import messaging

    for name in messaging.__all__:
        assert f'id="ivs_async.chat.messaging.{name}"' in text, name


class _Text(HTMLParser):
    """A page's text, split into what is shown as prose and what is shown as code."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.prose: list[str] = []
        self.code: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre", "script", "style"):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "script", "style"):
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        (self.code if self.depth else self.prose).append(data)


def test_no_page_shows_raw_restructuredtext(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        text = _Text()
        text.feed(path.read_text())
        shown = "".join(text.prose)
        where = path.relative_to(site)
        assert not _ROLE.search(shown + "".join(text.code)), f"{where}: {_ROLE.search(shown)}"
        # A backtick outside code is Markdown that did not render (``x``s, `a `b``, a stray role).
        stray = [shown[max(0, m.start() - 60) : m.end() + 60] for m in re.finditer("`", shown)]
        assert not stray, f"{where}: backticks in the text: {stray[:3]}"


def _sections(text: str, prefix: str) -> dict[str, str]:
    """Each documented object's part of a page, from its heading to the next heading of its level."""
    heads = list(re.finditer(rf'<h(\d) id="{re.escape(prefix)}([A-Za-z0-9_]+)"', text))
    found = {}
    for n, head in enumerate(heads):
        end = next((h.start() for h in heads[n + 1 :] if h.group(1) <= head.group(1)), len(text))
        found[head.group(2)] = text[head.start() : end]
    return found


def test_every_command_links_to_its_request_params_and_response(site: Path) -> None:
    sections = _sections(page(site, "reference/commands"), "ivs_async.commands.")
    model_sections = _sections(page(site, "reference/models"), "ivs_async.models.")
    for name, operation in OPERATIONS.items():
        request, response = operation.input.name, operation.output.name
        command = sections[f"{name}Command"]
        for target in (
            f"../models/#ivs_async.models.{request}",
            f"../models/#ivs_async.models.{response}",
            f"#ivs_async.commands.{name}Params",
        ):
            assert f'href="{target}"' in command, (name, target)
        params = sections[f"{name}Params"]
        assert f'href="#ivs_async.commands.{name}Command"' in params, name
        assert f'href="../models/#ivs_async.models.{request}Dict"' in params, name
        # ... and back: the models name their command.
        for model in (request, response):
            assert f'href="../commands/#ivs_async.commands.{name}Command"' in model_sections[model], model


def _member_line(section: str, member: str) -> str:
    match = re.search(rf"<li>\s*<code>{member}</code>.*?</li>", section, re.S)
    assert match is not None, member
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(0)))


def test_member_descriptions_give_the_defaults_ivs_applies(site: Path) -> None:
    sections = _sections(page(site, "reference/commands"), "ivs_async.commands.")
    model_sections = _sections(page(site, "reference/models"), "ivs_async.models.")
    # The examples, spelled out.
    create = sections["CreateChannelCommand"]
    assert "Default: LOW." in _member_line(create, "latency_mode")
    assert "Default: STANDARD." in _member_line(create, "type")
    inputs = {op.input.name: name for name, op in OPERATIONS.items()}
    assert descriptions.DEFAULTS
    for key, value in descriptions.DEFAULTS.items():
        structure, wire = key.split(".")
        shown = html.unescape(re.sub(r"<[^>]+>", "", generate.default_text(value).replace("`", "")))
        places = [model_sections[structure]]
        if structure in inputs:  # the command's keyword arguments too
            places.append(sections[f"{inputs[structure]}Command"])
        for section in places:
            assert f"Default: {shown}." in _member_line(section, generate.snake(wire)), key


def _signature_lines(site: Path) -> list[str]:
    lines = []
    for path in sorted((site / "reference").rglob("*.html")):
        for match in re.finditer(r'<div class="doc-signature highlight"><pre>(.*?)</pre>', path.read_text(), re.S):
            lines += html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).splitlines()
    return lines


def test_signatures_are_formatted_to_the_page(site: Path) -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    width = re.search(r"^\s+line_length: (\d+)$", config, re.M)
    assert width is not None and "separate_signature: true" in config
    lines = _signature_lines(site)
    assert len(lines) > 1000
    too_long = [line for line in lines if len(line) > int(width.group(1))]
    assert not too_long, too_long[:5]
    # Formatted, not merely short: long signatures were broken over lines, one parameter a line.
    assert "    input: CreateChannelRequest | None = None," in lines
    # And their types link to the reference.
    commands_page = page(site, "reference/commands")
    assert 'href="../models/#ivs_async.models.CreateChannelRequestDict">CreateChannelRequestDict</a>' in commands_page


def test_the_docs_extra_installs_what_formats_signatures() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", requirement)[0] for requirement in extras["docs"]}
    assert {"mkdocs", "mkdocs-material", "mkdocstrings", "ruff"} <= names


def test_the_guides_are_in_the_navigation(site: Path) -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    guides = ("ivs-local", "logging", "playback", "chat", "chat-messaging", "realtime")
    for guide in (f"guides/{name}.md" for name in guides):
        assert f": {guide}\n" in config, guide
    index = page(site, "guides/ivs-local")
    assert "IVS Local as a service" in index and 'href="../logging/"' in page(site, "guides/ivs-local")
    for heading in ("ingest-and-hls-playback", "recordings", "events-to-a-webhook", "state-across-restarts"):
        assert f'id="{heading}"' in index, heading
    for heading in ("docker", "control-api", "options"):
        assert f'id="{heading}"' in index, heading
    assert 'id="loggers"' in page(site, "guides/logging")
    assert 'id="a-p-384-key-pair"' in page(site, "guides/playback")
    for guide in ("chat", "realtime"):  # the IVS Local section the other guides link to
        assert 'id="testing-offline"' in page(site, f"guides/{guide}"), guide
    for reference in ("reference/chat.md", "reference/realtime.md"):
        assert f": {reference}\n" in config, reference


def test_no_docstring_in_the_package_or_the_generator_uses_restructuredtext_roles() -> None:
    sources = [*(ROOT / "ivs_async").rglob("*.py"), *(ROOT / "codegen").rglob("*.py")]
    found = [
        f"{p.relative_to(ROOT)}: {m.group(0)}" for p in sources for m in re.finditer(_ROLE.pattern + "`", p.read_text())
    ]
    assert not found, found
