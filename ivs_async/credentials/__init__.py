"""Credentials and the providers that find them.

A provider is any object with ``async def resolve() -> Credentials``; a ``Credentials`` value
(``StaticCredentials`` is its usual name) is its own provider. A client given no credentials
looks where boto3 and the AWS CLI look (:func:`default_chain`): the environment, the shared
config profile (static keys, ``credential_process``, assumed roles, web identity, SSO), web
identity from the environment (EKS IRSA), container credentials (ECS, EKS Pod Identity) and
EC2 instance metadata (IMDSv2). Temporary credentials are refreshed before they expire.
"""

from ivs_async._public import rehome
from ivs_async.credentials._base import (
    CredentialChain,
    CredentialRefreshError,
    Credentials,
    CredentialsProvider,
    Provider,
    StaticCredentials,
)
from ivs_async.credentials._container import ContainerCredentials
from ivs_async.credentials._env import EnvironmentCredentials
from ivs_async.credentials._imds import InstanceMetadataCredentials
from ivs_async.credentials._profile import ProfileCredentials, default_chain
from ivs_async.credentials._refresh import RefreshingCredentials
from ivs_async.credentials._sso import SsoCredentials
from ivs_async.credentials._sts import AssumeRoleCredentials, WebIdentityCredentials

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

rehome(__name__, globals(), __all__)
