"""Credentials named by a shared-config profile, and the default chain every client starts with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from ivs_async._core.endpoints import dns_suffix
from ivs_async._core.profiles import SharedConfig
from ivs_async._exceptions import ConfigurationError, PartialCredentialsError
from ivs_async.credentials._base import CredentialChain, Credentials, Provider, cached_credentials
from ivs_async.credentials._container import ContainerCredentials
from ivs_async.credentials._env import EnvironmentCredentials
from ivs_async.credentials._imds import InstanceMetadataCredentials
from ivs_async.credentials._process import run_credential_process
from ivs_async.credentials._refresh import RefreshingCredentials
from ivs_async.credentials._sso import SsoCredentials
from ivs_async.credentials._sts import AssumeRoleCredentials, WebIdentityCredentials


class _Fixed(Provider):
    def __init__(self, credentials: Credentials, name: str) -> None:
        self._credentials = credentials
        self.name = name

    async def load(self) -> Credentials:
        return self._credentials

    def _cached(self) -> Credentials | None:
        return self._credentials


class ProfileCredentials(Provider):
    """What the profile sets up, as the AWS CLI reads it, in this order: ``role_arn`` (with
    ``web_identity_token_file``, ``source_profile`` or ``credential_source``), an SSO login,
    static keys, ``credential_process``."""

    __module__ = "ivs_async.credentials"  # its public home, however it is loaded

    def __init__(self, shared: SharedConfig, *, environ: Mapping[str, str], region: str | None) -> None:
        self._shared = shared
        self._environ = environ
        self._region = region
        self.name = f"shared config files ({shared.where()})"
        self._provider: Provider | None = None

    async def load(self) -> Credentials | None:
        if self._provider is None:
            provider = self._build(self._shared.profile_name, ())
            if provider is None:
                return None
            self._provider = provider
        return await self._provider.load()

    def _cached(self) -> Credentials | None:
        return None if self._provider is None else cached_credentials(self._provider)

    def _inner(self) -> tuple[Provider, ...]:
        return (self._provider,) if self._provider is not None else ()

    def _build(self, name: str, chain: tuple[str, ...]) -> Provider | None:
        shared = self._shared
        profile = shared.profiles.get(name)
        if profile is None:
            if chain or shared.explicit:
                raise ConfigurationError(
                    f"profile {name!r} is not in {shared.config_file} or {shared.credentials_file}"
                )
            return None
        get = _getter(profile)
        label = f"profile {name!r}"
        role_arn = get("role_arn")
        if role_arn:
            token_file = get("web_identity_token_file")
            if token_file:
                return WebIdentityCredentials(
                    role_arn=role_arn,
                    token_file=token_file,
                    session_name=get("role_session_name"),
                    region=self._sts_region(profile),
                    endpoint=self.sts_endpoint(profile),
                    name=f"{label} (web identity {role_arn})",
                )
            if get("mfa_serial"):
                raise ConfigurationError(f"{label}: roles that need an MFA code (mfa_serial) are not supported")
            duration = get("duration_seconds")
            if duration is not None and not duration.isdigit():
                raise ConfigurationError(f"{label}: duration_seconds must be a whole number of seconds")
            return AssumeRoleCredentials(
                role_arn=role_arn,
                source=self._source(name, profile, chain),
                session_name=get("role_session_name"),
                external_id=get("external_id"),
                duration_seconds=int(duration) if duration else None,
                region=self._sts_region(profile),
                endpoint=self.sts_endpoint(profile),
                name=f"{label} (assume role {role_arn})",
            )
        sso = self._sso(name, profile)
        if sso is not None:
            return sso
        static = _static(profile, f"{label} in {shared.config_file} or {shared.credentials_file}")
        if static is not None:
            return static
        command = get("credential_process")
        if command:
            process_label = f"{label} (credential_process)"
            return RefreshingCredentials(
                lambda: run_credential_process(command, name=process_label), name=process_label
            )
        if chain:
            raise ConfigurationError(f"{label} is a source_profile but provides no credentials")
        return None

    def _source(self, name: str, profile: Mapping[str, str], chain: tuple[str, ...]) -> Provider:
        get = _getter(profile)
        source_profile, credential_source = get("source_profile"), get("credential_source")
        if source_profile and credential_source:
            raise ConfigurationError(f"profile {name!r} sets both source_profile and credential_source")
        if source_profile:
            if source_profile == name:
                static = _static(profile, f"profile {name!r}")
                if static is None:
                    raise ConfigurationError(f"profile {name!r} is its own source_profile but has no static keys")
                return static
            if source_profile in chain or source_profile == name:
                raise ConfigurationError(f"source_profile loop: {' -> '.join((*chain, name, source_profile))}")
            found = self._build(source_profile, (*chain, name))
            assert found is not None  # _build raises rather than return None inside a chain
            return found
        if credential_source == "Environment":
            return EnvironmentCredentials(self._environ)
        if credential_source == "Ec2InstanceMetadata":
            return InstanceMetadataCredentials(self._environ)
        if credential_source == "EcsContainer":
            return ContainerCredentials(self._environ)
        if credential_source:
            raise ConfigurationError(
                f"profile {name!r}: credential_source must be Environment, Ec2InstanceMetadata or EcsContainer"
            )
        raise ConfigurationError(f"profile {name!r} has role_arn but no source_profile or credential_source")

    def _sso(self, name: str, profile: Mapping[str, str]) -> Provider | None:
        get = _getter(profile)
        session_name = get("sso_session")
        if session_name:
            session = self._shared.sso_sessions.get(session_name)
            if session is None:
                raise ConfigurationError(f"profile {name!r} names sso_session {session_name!r}, which is not defined")
            start_url, sso_region = _getter(session)("sso_start_url"), _getter(session)("sso_region")
        else:
            start_url, sso_region = get("sso_start_url"), get("sso_region")
            if not start_url:
                return None
        account_id, role_name = get("sso_account_id"), get("sso_role_name")
        if not (start_url and sso_region and account_id and role_name):
            raise ConfigurationError(
                f"profile {name!r}: an SSO profile needs sso_start_url, sso_region, sso_account_id and sso_role_name"
            )
        home = Path(self._environ.get("HOME") or Path.home())
        portal = (
            self._environ.get("AWS_ENDPOINT_URL_SSO")
            or self._environ.get("AWS_ENDPOINT_URL")
            or f"https://portal.sso.{sso_region}.{dns_suffix(sso_region)}"
        )
        return SsoCredentials(
            start_url=start_url,
            sso_region=sso_region,
            account_id=account_id,
            role_name=role_name,
            session_name=session_name,
            cache_dir=home / ".aws" / "sso" / "cache",
            portal=portal,
            profile=name,
        )

    def _sts_region(self, profile: Mapping[str, str]) -> str:
        return self._region or _getter(profile)("region") or "us-east-1"

    def sts_endpoint(self, profile: Mapping[str, str]) -> str:
        """The STS endpoint: overrides as boto3 reads them, else the regional endpoint."""
        return sts_endpoint(self._environ, self._shared, self._sts_region(profile))


def sts_endpoint(environ: Mapping[str, str], shared: SharedConfig, region: str) -> str:
    return (
        environ.get("AWS_ENDPOINT_URL_STS")
        or environ.get("AWS_ENDPOINT_URL")
        or shared.service_setting("sts", "endpoint_url")
        or shared.get("endpoint_url")
        or f"https://sts.{region}.{dns_suffix(region)}"
    )


def _getter(section: Mapping[str, str]) -> Callable[[str], str | None]:
    def get(key: str) -> str | None:
        value = section.get(key)
        return value.strip() if value and value.strip() else None

    return get


def _static(profile: Mapping[str, str], label: str) -> Provider | None:
    get = _getter(profile)
    key, secret = get("aws_access_key_id"), get("aws_secret_access_key")
    if not key and not secret:
        return None
    # Half a pair is a mistake, never a reason to fall through to another identity.
    if not secret:
        raise PartialCredentialsError(label, "aws_secret_access_key")
    if not key:
        raise PartialCredentialsError(label, "aws_access_key_id")
    return _Fixed(Credentials(key, secret, session_token=get("aws_session_token")), f"{label} (static keys)")


def default_chain(
    environ: Mapping[str, str], shared: SharedConfig, region: str | None, *, profile_argument: bool = False
) -> CredentialChain:
    """Where a client looks when it is given no credentials, in boto3's order. A profile passed
    to the client (``profile_argument``; AWS_PROFILE does not count) skips the environment's keys."""
    providers: list[Provider] = []
    if not profile_argument:
        providers.append(EnvironmentCredentials(environ))
    providers.append(ProfileCredentials(shared, environ=environ, region=region))
    token_file, role_arn = environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"), environ.get("AWS_ROLE_ARN")
    if token_file and role_arn:
        sts_region = region or "us-east-1"
        providers.append(
            WebIdentityCredentials(
                role_arn=role_arn,
                token_file=token_file,
                session_name=environ.get("AWS_ROLE_SESSION_NAME"),
                region=sts_region,
                endpoint=sts_endpoint(environ, shared, sts_region),
                name="web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)",
            )
        )
    providers.append(ContainerCredentials(environ))
    providers.append(InstanceMetadataCredentials(environ))
    return CredentialChain(providers, looked_in=shared.where())


default_chain.__module__ = "ivs_async.credentials"
