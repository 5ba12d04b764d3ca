"""ivs_async: an asyncio SDK for Amazon Interactive Video Service.

    async with IvsClient(region="us-west-2") as client:
        out = await client.send(GetChannelCommand(arn=arn))

The public modules are ``commands``, ``models``, ``errors``, ``paginators``, ``credentials``,
``middleware``, ``playback`` (tokens for private channels), ``events`` (IVS's EventBridge
events), ``chat`` (IVS Chat: its API and the chat messaging WebSocket), ``realtime`` (IVS
Real-Time) and ``testing`` (the local emulator); everything whose name starts with an underscore
is private. The names below load when first used, so importing the package costs little.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivs_async._core.lazy import lazy_attributes as _lazy_attributes
from ivs_async._generated.ivs import COMMAND_NAMES as _COMMAND_NAMES
from ivs_async._version import __version__ as __version__

# The public modules: ``ivs_async.errors`` works after a bare ``import ivs_async``.
_SUBMODULES = (
    "chat",
    "commands",
    "credentials",
    "errors",
    "events",
    "limits",
    "middleware",
    "models",
    "paginators",
    "playback",
    "realtime",
    "telemetry",
    "testing",
    "waiters",
)

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads each name when first used
    from ivs_async import chat as chat
    from ivs_async import commands as commands
    from ivs_async import credentials as credentials
    from ivs_async import errors as errors
    from ivs_async import events as events
    from ivs_async import limits as limits
    from ivs_async import middleware as middleware
    from ivs_async import models as models
    from ivs_async import paginators as paginators
    from ivs_async import playback as playback
    from ivs_async import realtime as realtime
    from ivs_async import telemetry as telemetry
    from ivs_async import testing as testing
    from ivs_async import waiters as waiters
    from ivs_async._core.client import IvsClient as IvsClient
    from ivs_async._generated.ivs.aggregated import Ivs as Ivs
    from ivs_async._protocol.model import ResponseMetadata as ResponseMetadata
    from ivs_async.commands import *  # noqa: F403
    from ivs_async.commands import Command as Command
    from ivs_async.commands import Operation as Operation
    from ivs_async.credentials import Credentials as Credentials
    from ivs_async.credentials import CredentialsProvider as CredentialsProvider
    from ivs_async.credentials import EnvironmentCredentials as EnvironmentCredentials
    from ivs_async.credentials import StaticCredentials as StaticCredentials
    from ivs_async.errors import IvsError as IvsError
    from ivs_async.errors import IvsServiceException as IvsServiceException
    from ivs_async.errors import ParamValidationError as ParamValidationError

# Where each top-level name lives; the command classes live in ivs_async.commands.
_HOMES = {
    "Credentials": "ivs_async.credentials",
    "CredentialsProvider": "ivs_async.credentials",
    "EnvironmentCredentials": "ivs_async.credentials",
    "Ivs": "ivs_async._generated.ivs.aggregated",
    "IvsClient": "ivs_async._core.client",
    "IvsError": "ivs_async.errors",
    "IvsServiceException": "ivs_async.errors",
    "ParamValidationError": "ivs_async.errors",
    "ResponseMetadata": "ivs_async.models",
    "StaticCredentials": "ivs_async.credentials",
    "Command": "ivs_async.commands",
    "Operation": "ivs_async.commands",
}

# A literal list, as type checkers and doc tools read it; the command classes among these names
# are ivs_async._generated.ivs.COMMAND_NAMES, and a test keeps the two equal.
__all__ = [
    "BatchGetChannelCommand",
    "BatchGetStreamKeyCommand",
    "BatchStartViewerSessionRevocationCommand",
    "Command",
    "CreateAdConfigurationCommand",
    "CreateChannelCommand",
    "CreateFailoverSlateConfigurationCommand",
    "CreatePlaybackRestrictionPolicyCommand",
    "CreateRecordingConfigurationCommand",
    "CreateStreamKeyCommand",
    "Credentials",
    "CredentialsProvider",
    "DeleteAdConfigurationCommand",
    "DeleteChannelCommand",
    "DeleteFailoverSlateConfigurationCommand",
    "DeletePlaybackKeyPairCommand",
    "DeletePlaybackRestrictionPolicyCommand",
    "DeleteRecordingConfigurationCommand",
    "DeleteStreamKeyCommand",
    "EnvironmentCredentials",
    "GetAdConfigurationCommand",
    "GetChannelCommand",
    "GetFailoverSlateConfigurationCommand",
    "GetPlaybackKeyPairCommand",
    "GetPlaybackRestrictionPolicyCommand",
    "GetRecordingConfigurationCommand",
    "GetStreamCommand",
    "GetStreamKeyCommand",
    "GetStreamSessionCommand",
    "ImportPlaybackKeyPairCommand",
    "InsertAdBreakCommand",
    "Ivs",
    "IvsClient",
    "IvsError",
    "IvsServiceException",
    "ListAdConfigurationsCommand",
    "ListChannelsCommand",
    "ListFailoverSlateConfigurationsCommand",
    "ListPlaybackKeyPairsCommand",
    "ListPlaybackRestrictionPoliciesCommand",
    "ListRecordingConfigurationsCommand",
    "ListStreamKeysCommand",
    "ListStreamSessionsCommand",
    "ListStreamsCommand",
    "ListTagsForResourceCommand",
    "Operation",
    "ParamValidationError",
    "PutMetadataCommand",
    "ResponseMetadata",
    "StartViewerSessionRevocationCommand",
    "StaticCredentials",
    "StopStreamCommand",
    "TagResourceCommand",
    "UntagResourceCommand",
    "UpdateAdConfigurationCommand",
    "UpdateChannelCommand",
    "UpdateFailoverSlateConfigurationCommand",
    "UpdatePlaybackRestrictionPolicyCommand",
    "__version__",
]


__getattr__, __dir__ = _lazy_attributes(
    __name__, {**_HOMES, **dict.fromkeys(_COMMAND_NAMES, "ivs_async.commands")}, submodules=_SUBMODULES
)
