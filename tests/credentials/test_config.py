"""Settings from arguments, the environment and the shared config files; endpoints from the rule set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ivs_async import IvsClient
from ivs_async._core import config as _config
from ivs_async._core import profiles as _profiles
from ivs_async._core.endpoints import resolve_endpoint
from ivs_async._core.files import read_bounded, read_bounded_file
from ivs_async._core.profiles import load_shared_config
from ivs_async._exceptions import ConfigurationError, MissingRegionError
from tests.support.botocore_ref import reference
from tests.support.services import ServiceUnderTest, by_service

MODEL = Path(__file__).resolve().parents[2] / "codegen" / "model"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return path


def test_region_and_settings_from_the_profile(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        config_file,
        "[default]\nregion = eu-west-1\n\n[profile work]\nregion = ap-south-1\nmax_attempts = 7\n"
        "use_fips_endpoint = true\n",
    )
    assert IvsClient().config.region == "eu-west-1"
    work = IvsClient(profile="work").config
    assert (work.region, work.max_attempts, work.profile) == ("ap-south-1", 7, "work")
    assert work.endpoint is not None and work.endpoint.host == "ivs-fips.ap-south-1.amazonaws.com"
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert IvsClient().config.region == "ap-south-1"
    monkeypatch.setenv("AWS_REGION", "us-east-2")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    env_wins = IvsClient().config
    assert (env_wins.region, env_wins.max_attempts) == ("us-east-2", 2)
    assert IvsClient(region="ca-central-1", max_attempts=4).config.max_attempts == 4


def test_missing_region_says_where_it_looked(config_file: Path) -> None:
    write(config_file, "[profile other]\nregion = eu-west-1\n")
    client = IvsClient()
    with pytest.raises(MissingRegionError) as caught:
        client.config.require_region()
    message = str(caught.value)
    assert "AWS_REGION" in message and "AWS_DEFAULT_REGION" in message and str(config_file) in message
    assert "'default'" in message


def test_unknown_profile_and_bad_values(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(config_file, "[default]\nmax_attempts = many\n")
    with pytest.raises(ConfigurationError, match="'nope' is not in"):
        IvsClient(region="us-west-2", profile="nope")
    with pytest.raises(ConfigurationError, match=r"max_attempts.*integer"):
        IvsClient(region="us-west-2")
    write(config_file, "[default]\nretry_mode = chaotic\n")
    with pytest.raises(ConfigurationError, match="retry_mode"):
        IvsClient(region="us-west-2")
    write(config_file, "[default\nbroken")
    with pytest.raises(ConfigurationError, match="cannot read"):
        IvsClient(region="us-west-2")
    write(config_file, "")
    monkeypatch.setenv("AWS_USE_DUALSTACK_ENDPOINT", "yes")
    with pytest.raises(
        ConfigurationError, match=r"AWS_USE_DUALSTACK_ENDPOINT \(environment variable\) must be true or false"
    ):
        IvsClient(region="us-west-2")


def test_endpoint_url_sources(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        config_file,
        "[default]\nregion = us-west-2\nservices = local\nendpoint_url = http://127.0.0.1:1001\n\n"
        "[services local]\nivs =\n  endpoint_url = http://127.0.0.1:1002\n",
    )
    assert IvsClient().config.endpoint.origin == "http://127.0.0.1:1002"  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1003")
    assert IvsClient().config.endpoint.origin == "http://127.0.0.1:1003"  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ENDPOINT_URL_IVS", "http://127.0.0.1:1004")
    assert IvsClient().config.endpoint.origin == "http://127.0.0.1:1004"  # type: ignore[union-attr]
    assert IvsClient(endpoint="http://127.0.0.1:1005").config.endpoint.origin == "http://127.0.0.1:1005"  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert IvsClient().config.endpoint.origin == "https://ivs.us-west-2.amazonaws.com"  # type: ignore[union-attr]


def test_rule_set_errors_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="FIPS and custom endpoint are not supported"):
        IvsClient(region="us-west-2", endpoint="http://127.0.0.1:1", use_fips_endpoint=True)
    with pytest.raises(ConfigurationError, match="Dualstack and custom endpoint"):
        IvsClient(region="us-west-2", endpoint="http://127.0.0.1:1", use_dualstack_endpoint=True)


def _regions() -> list[str]:
    partitions = json.loads((MODEL / "partitions.json").read_text())["partitions"]
    found = [region for p in partitions for region in p["regions"]]
    return [*found, "us-future-7", "cn-future-1", "xx-unknown-1"]


@pytest.mark.parametrize("region", _regions())
@by_service()
def test_endpoints_match_botocore_rules_engine(service: ServiceUnderTest, region: str) -> None:
    """Our evaluation of each service's vendored rule set equals botocore's, for every region and flag."""
    ref = reference(service)
    ours = service.client_cls.service
    for fips in (False, True):
        for dualstack in (False, True):
            for custom in (None, "https://ivs.example.test:8443/prefix"):
                params = {"Region": region, "UseFIPS": fips, "UseDualStack": dualstack}
                if custom:
                    params["Endpoint"] = custom
                try:
                    expected = ref.endpoint(region, fips=fips, dualstack=dualstack, custom=custom)
                except Exception as exc:  # botocore's EndpointResolutionError
                    expected = f"error: {exc}"
                try:
                    endpoint = resolve_endpoint(region, custom, use_fips=fips, use_dualstack=dualstack, service=ours)
                    assert endpoint is not None
                    got = endpoint.url
                except ConfigurationError as exc:
                    got = f"error: {str(exc).removeprefix(f'cannot resolve the {ours.name} endpoint: ')}"
                assert got == expected, params


async def test_client_uses_the_resolved_endpoint(config_file: Path) -> None:
    write(config_file, "[default]\nregion = us-gov-west-1\nuse_fips_endpoint = true\n")
    client = IvsClient(credentials=None)
    assert client.config.endpoint is not None
    assert client.config.endpoint.host == "ivs-fips.us-gov-west-1.amazonaws.com"
    await client.close()


def test_each_client_reads_the_files_again(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A text is parsed once per process; a client still sees the files as they are now, even
    # when they change without a change of size or modification time.
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    write(config_file, "[default]\nregion = eu-west-1\n")
    stamp = config_file.stat().st_mtime_ns
    assert IvsClient().config.region == "eu-west-1"
    write(config_file, "[default]\nregion = eu-west-2\n")
    os.utime(config_file, ns=(stamp, stamp))
    assert IvsClient().config.region == "eu-west-2"
    write(config_file, "[default]\nregion = eu-west-1\n")
    assert IvsClient().config.region == "eu-west-1"
    config_file.unlink()
    assert IvsClient().config.region is None


def test_a_clients_settings_are_its_own(config_file: Path) -> None:
    write(config_file, "[default]\nregion = eu-west-1\n\n[services mine]\nivs =\n  endpoint_url = http://127.0.0.1:1\n")
    first = load_shared_config({"AWS_CONFIG_FILE": str(config_file)})
    first.profiles["default"]["region"] = "changed"  # type: ignore[index]
    first.services["mine"]["ivs"] = "changed"  # type: ignore[index]
    again = load_shared_config({"AWS_CONFIG_FILE": str(config_file)})
    assert again.get("region") == "eu-west-1"
    assert again.services["mine"]["ivs"].strip() == "endpoint_url = http://127.0.0.1:1"


def test_a_file_that_does_not_parse_fails_every_time(config_file: Path) -> None:
    write(config_file, "region = eu-west-1\n")
    for _ in range(2):
        with pytest.raises(ConfigurationError, match="line 1 comes before any"):
            IvsClient()


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 5000])
def test_read_bounded_reads_whole_files_within_the_limit(tmp_path: Path, size: int) -> None:
    path = write(tmp_path / "f", "x" * size)
    if size <= 100:
        assert read_bounded(path, 100) == "x" * size
    else:
        with pytest.raises(ValueError, match="larger than 100 bytes"):
            read_bounded(path, 100)


def test_read_bounded_reads_files_of_unknown_size() -> None:
    # /proc files report a size of 0: read up to the limit all the same.
    assert "Name:" in read_bounded("/proc/self/status", 1 << 20)
    with pytest.raises(ValueError, match="larger than 10 bytes"):
        read_bounded("/proc/self/status", 10)


def test_read_bounded_file_is_none_where_there_is_no_file(tmp_path: Path) -> None:
    assert read_bounded_file(str(tmp_path / "missing"), 100) is None
    assert read_bounded_file(str(tmp_path / "missing" / "below"), 100) is None
    assert read_bounded_file(str(tmp_path), 100) is None  # a directory
    os.mkfifo(tmp_path / "fifo")
    assert read_bounded_file(str(tmp_path / "fifo"), 100) is None  # without waiting for a writer
    assert read_bounded_file(str(write(tmp_path / "f", "[default]\n")), 100) == "[default]\n"
    with pytest.raises(ValueError, match="larger than 5 bytes"):
        read_bounded_file(str(tmp_path / "f"), 5)
    (tmp_path / "latin").write_bytes(b"caf\xe9")
    with pytest.raises(ValueError, match="not UTF-8"):
        read_bounded_file(str(tmp_path / "latin"), 100)
    with pytest.raises(IsADirectoryError):
        read_bounded(tmp_path, 100)


def test_the_process_environment_is_read_live(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _config._PROCESS_ENVIRON
    monkeypatch.setenv("IVS_ASYNC_TEST_VARIABLE", "one")
    assert env.get("IVS_ASYNC_TEST_VARIABLE") == env["IVS_ASYNC_TEST_VARIABLE"] == "one"
    assert "IVS_ASYNC_TEST_VARIABLE" in env and "IVS_ASYNC_TEST_VARIABLE" in list(env)
    assert len(env) == len(os.environ) and dict(env) == dict(os.environ)
    monkeypatch.delenv("IVS_ASYNC_TEST_VARIABLE")
    assert env.get("IVS_ASYNC_TEST_VARIABLE") is None and env.get("IVS_ASYNC_TEST_VARIABLE", "d") == "d"
    assert "IVS_ASYNC_TEST_VARIABLE" not in env
    with pytest.raises(KeyError):
        env["IVS_ASYNC_TEST_VARIABLE"]
    monkeypatch.setattr(os, "environ", {"AWS_REGION": "eu-north-1"})  # a mapping put in its place
    assert env.get("AWS_REGION") == "eu-north-1" and env.get("HOME") is None
    assert IvsClient().config.region == "eu-north-1"


def test_the_parses_kept_are_bounded(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    regions = [f"eu-west-{n}" for n in range(1, 13)]
    for region in regions + regions[:3]:
        write(config_file, f"[default]\nregion = {region}\n")
        assert IvsClient().config.region == region
        assert 1 <= len(_profiles._PARSED) <= _profiles._MAX_REMEMBERED
    long = "# " + "x" * _profiles._MAX_REMEMBERED_CHARS + "\n[default]\nregion = ca-central-1\n"
    write(config_file, long)
    assert IvsClient().config.region == "ca-central-1"  # read, parsed, not kept
    assert long not in _profiles._PARSED
