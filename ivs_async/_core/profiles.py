"""The shared AWS files (``~/.aws/config`` and ``~/.aws/credentials``), read as the AWS CLI reads them.

The config file names profiles ``[profile NAME]`` (``[default]`` for the default one) and
also holds ``[sso-session NAME]`` and ``[services NAME]`` sections; the credentials file names
them ``[NAME]`` and wins for the keys both files set. Nested settings (``ivs =`` followed by
indented ``key = value`` lines) are read as sub-sections.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ivs_async._core.files import read_bounded_file
from ivs_async._exceptions import ConfigurationError

if TYPE_CHECKING:  # loaded when a file exists to be parsed
    import configparser

# A shared config file of thousands of profiles is a few hundred kilobytes.
MAX_FILE_BYTES = 4 * 1024 * 1024


class SharedConfig:
    """One profile's settings, and the other sections it may refer to. (A plain class: an attrs
    class would cost the import about 0.3 ms.)"""

    __slots__ = ("config_file", "credentials_file", "explicit", "profile_name", "profiles", "services", "sso_sessions")

    def __init__(
        self,
        *,
        profile_name: str,
        explicit: bool,  # named by the caller or AWS_PROFILE, rather than the implicit "default"
        config_file: str,
        credentials_file: str,
        profiles: Mapping[str, Mapping[str, str]],
        sso_sessions: Mapping[str, Mapping[str, str]],
        services: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.profile_name = profile_name
        self.explicit = explicit
        self.config_file = config_file
        self.credentials_file = credentials_file
        self.profiles = profiles
        self.sso_sessions = sso_sessions
        self.services = services

    def __repr__(self) -> str:  # never the settings: the credentials file holds secret keys
        return f"SharedConfig({self.where()})"

    @property
    def profile(self) -> Mapping[str, str]:
        return self.profiles.get(self.profile_name, {})

    def get(self, key: str) -> str | None:
        value = self.profile.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def service_setting(self, service: str, key: str) -> str | None:
        """A setting of ``service`` in the profile's ``services`` section."""
        section = self.get("services")
        if section is None:
            return None
        nested = _nested(self.services.get(section, {}).get(service, ""))
        return nested.get(key)

    def where(self) -> str:
        return f"profile {self.profile_name!r} in {self.config_file} and {self.credentials_file}"


def load_shared_config(environ: Mapping[str, str], profile: str | None = None) -> SharedConfig:
    """The shared files named by the environment (or their defaults), for ``profile``."""
    # Plain strings, not Paths: a client reads these names at every construction.
    home = environ.get("HOME") or os.path.expanduser("~")
    config_file = os.path.expanduser(environ.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config"))
    credentials_file = os.path.expanduser(
        environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home, ".aws", "credentials")
    )
    name = profile or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or None
    profiles: dict[str, dict[str, str]] = {}
    sso_sessions: dict[str, dict[str, str]] = {}
    services: dict[str, dict[str, str]] = {}
    for section, values in _read(config_file).items():
        kind, _, rest = section.partition(" ")
        rest = rest.strip()
        if section == "default":
            profiles.setdefault("default", {}).update(values)
        elif kind == "profile" and rest:
            profiles.setdefault(rest, {}).update(values)
        elif kind == "sso-session" and rest:
            sso_sessions[rest] = values
        elif kind == "services" and rest:
            services[rest] = values
    for section, values in _read(credentials_file).items():
        profiles.setdefault(section.strip(), {}).update(values)
    return SharedConfig(
        profile_name=name or "default",
        explicit=name is not None,
        config_file=config_file,
        credentials_file=credentials_file,
        profiles=profiles,
        sso_sessions=sso_sessions,
        services=services,
    )


def _read(path: str) -> dict[str, dict[str, str]]:
    try:
        text = read_bounded_file(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    except ValueError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from None
    if text is None:  # no such file: no settings
        return {}
    # Every client reads the files again (a change shows in the next client), but the same text
    # is parsed once per process: configparser takes over 0.1 ms for a file of a few profiles,
    # four times what the rest of a client's construction costs. Keyed by the text itself, so a
    # parse is never reused for other content; the caller gets its own dicts.
    parsed = _PARSED.get(text)
    if parsed is None:
        parsed = _parse(path, text)  # a file that does not parse raises, and is not remembered
        if len(text) <= _MAX_REMEMBERED_CHARS:
            if len(_PARSED) >= _MAX_REMEMBERED:
                _PARSED.clear()  # one step, safe when clients are built in several threads
            _PARSED[text] = parsed
    return {section: dict(values) for section, values in parsed.items()}


# A file's text -> its sections: the config and credentials files clients read (a few more when
# tests or tools switch AWS_CONFIG_FILE). Bounded in entries and in size. It holds what the
# credentials file holds, secret keys included, as the providers built from it do.
_PARSED: dict[str, dict[str, dict[str, str]]] = {}
_MAX_REMEMBERED = 8
_MAX_REMEMBERED_CHARS = 256 * 1024


def _parse(path: str, text: str) -> dict[str, dict[str, str]]:
    import configparser

    parser = configparser.RawConfigParser(default_section="\0none")  # "[default]" is an ordinary section
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        # configparser's messages quote the offending line, which may be a secret key.
        raise ConfigurationError(f"cannot read {path}: {_parse_problem(exc)}") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _parse_problem(exc: configparser.Error) -> str:
    """What is wrong and on which line, without the line's content."""
    import configparser

    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno} comes before any [section] header"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors[:10])
        return f"line {lines} {'is' if len(exc.errors) == 1 else 'are'} not 'key = value', a [section] or a comment"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"a section is defined twice (line {exc.lineno})"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"a key is set twice in one section (line {exc.lineno})"
    return type(exc).__name__


def _nested(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found[key.strip()] = value.strip()
    return found
