"""Credentials and the providers that find them.

A provider is any object with ``async def resolve() -> Credentials``; a ``Credentials`` value
(``StaticCredentials`` is its usual name) is its own provider. A client given no credentials
looks where boto3 and the AWS CLI look ([default_chain][ivs_async.credentials.default_chain]):
the environment, the shared config profile (static keys, ``credential_process``, assumed roles, web identity, SSO), web
identity from the environment (EKS IRSA), container credentials (ECS, EKS Pod Identity) and
EC2 instance metadata (IMDSv2). Temporary credentials are refreshed before they expire.
"""

from typing import TYPE_CHECKING

from ivs_async._core.lazy import lazy_attributes as _lazy_attributes
from ivs_async._core.public import rehome as _rehome
from ivs_async.credentials._base import (
    CredentialChain,
    CredentialRefreshError,
    Credentials,
    CredentialsProvider,
    Provider,
    StaticCredentials,
)

if TYPE_CHECKING:
    from ivs_async.credentials._container import ContainerCredentials
    from ivs_async.credentials._env import EnvironmentCredentials
    from ivs_async.credentials._imds import InstanceMetadataCredentials
    from ivs_async.credentials._profile import ProfileCredentials, default_chain
    from ivs_async.credentials._refresh import RefreshingCredentials
    from ivs_async.credentials._sso import SsoCredentials
    from ivs_async.credentials._sts import AssumeRoleCredentials, WebIdentityCredentials
else:
    # The providers load when first used (a client given credentials never needs them); each
    # names this package as its home itself, however it is reached.
    __getattr__, __dir__ = _lazy_attributes(
        __name__,
        {
            "AssumeRoleCredentials": "ivs_async.credentials._sts",
            "ContainerCredentials": "ivs_async.credentials._container",
            "EnvironmentCredentials": "ivs_async.credentials._env",
            "InstanceMetadataCredentials": "ivs_async.credentials._imds",
            "ProfileCredentials": "ivs_async.credentials._profile",
            "RefreshingCredentials": "ivs_async.credentials._refresh",
            "SsoCredentials": "ivs_async.credentials._sso",
            "WebIdentityCredentials": "ivs_async.credentials._sts",
            "default_chain": "ivs_async.credentials._profile",
        },
    )

__all__ = [
    "AssumeRoleCredentials",
    "ContainerCredentials",
    "CredentialChain",
    "CredentialRefreshError",
    "Credentials",
    "CredentialsProvider",
    "EnvironmentCredentials",
    "InstanceMetadataCredentials",
    "ProfileCredentials",
    "Provider",
    "RefreshingCredentials",
    "SsoCredentials",
    "StaticCredentials",
    "WebIdentityCredentials",
    "default_chain",
]

_rehome(__name__, globals(), __all__)
