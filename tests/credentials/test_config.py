"""Settings from arguments, the environment and the shared config files; endpoints from the rule set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.endpoint_provider import EndpointProvider

from ivs_async import IvsClient
from ivs_async._endpoints import resolve_endpoint
from ivs_async._exceptions import ConfigurationError, MissingRegionError

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


@pytest.fixture(scope="module")
def botocore_rules() -> EndpointProvider:
    return EndpointProvider(
        json.loads((MODEL / "endpoint-rule-set-1.json").read_text()),
        json.loads((MODEL / "partitions.json").read_text()),
    )


@pytest.mark.parametrize("region", _regions())
def test_endpoints_match_botocore_rules_engine(region: str, botocore_rules: EndpointProvider) -> None:
    """Our evaluation of the vendored rule set equals botocore's, for every region and flag."""
    for fips in (False, True):
        for dualstack in (False, True):
            for custom in (None, "https://ivs.example.test:8443/prefix"):
                params = {"Region": region, "UseFIPS": fips, "UseDualStack": dualstack}
                if custom:
                    params["Endpoint"] = custom
                try:
                    expected = botocore_rules.resolve_endpoint(**params).url
                except Exception as exc:  # botocore's EndpointResolutionError
                    expected = f"error: {exc}"
                try:
                    endpoint = resolve_endpoint(region, custom, use_fips=fips, use_dualstack=dualstack)
                    assert endpoint is not None
                    got = endpoint.url
                except ConfigurationError as exc:
                    got = f"error: {str(exc).removeprefix('cannot resolve the IVS endpoint: ')}"
                assert got == expected, params


async def test_client_uses_the_resolved_endpoint(config_file: Path) -> None:
    write(config_file, "[default]\nregion = us-gov-west-1\nuse_fips_endpoint = true\n")
    client = IvsClient(credentials=None)
    assert client.config.endpoint is not None
    assert client.config.endpoint.host == "ivs-fips.us-gov-west-1.amazonaws.com"
    await client.close()
