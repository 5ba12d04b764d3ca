"""ivs_async: an asyncio SDK for Amazon Interactive Video Service.

    async with IvsClient(region="us-west-2") as client:
        out = await client.send(GetChannelCommand(arn=arn))

The public modules are ``commands``, ``models``, ``errors``, ``paginators``, ``credentials``,
``middleware``, ``playback`` (tokens for private channels), ``events`` (IVS's EventBridge
events) and ``testing`` (the local emulator); everything whose name starts with an underscore
is private.
"""

from ivs_async import commands as _commands
from ivs_async._client import IvsClient
from ivs_async._generated.aggregated import Ivs
from ivs_async._model import ResponseMetadata
from ivs_async._public import rehome
from ivs_async._version import __version__
from ivs_async.commands import *  # noqa: F403
from ivs_async.credentials import Credentials, CredentialsProvider, EnvironmentCredentials, StaticCredentials
from ivs_async.errors import IvsError, IvsServiceException, ParamValidationError

__all__ = [
    "Credentials",
    "CredentialsProvider",
    "EnvironmentCredentials",
    "Ivs",
    "IvsClient",
    "IvsError",
    "IvsServiceException",
    "ParamValidationError",
    "ResponseMetadata",
    "StaticCredentials",
    "__version__",
]
__all__ += _commands.__all__

rehome(__name__, globals(), __all__)
