"""What loads when: each operation's models and the credential providers when first used (to the
user they are ordinary ivs_async names), and a call never loads ``requests``."""

from __future__ import annotations

import pickle
import subprocess
import sys
import typing

import attrs
import pytest

from ivs_async import models
from ivs_async._generated.ivs.readers import READERS
from ivs_async._generated.ivs.schema import STRUCTURES
from ivs_async._generated.ivs.writers import WRITERS

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_a_call_loads_its_own_operation_models_only() -> None:
    loaded = "sorted(m.rsplit('.', 1)[1] for m in sys.modules if '._generated.ivs.operations.' in m)"
    code = (
        "import sys\n"
        "from ivs_async import IvsClient\n"
        "from ivs_async.commands import GetChannelCommand, ListChannelsCommand\n"
        f"before = {loaded}\n"
        f"command = GetChannelCommand(arn={ARN!r})\n"
        f"print(before, {loaded}, type(command.input).__module__)\n"
    )
    assert run(code) == "[] ['get_channel'] ivs_async.models"


def test_a_model_pickled_in_one_process_loads_in_another() -> None:
    data = pickle.dumps(models.GetChannelResponse(channel=models.Channel(arn=ARN, name="x")))
    code = f"import pickle, sys\nvalue = pickle.loads({data!r})\nprint(type(value).__module__, value.channel.name)\n"
    assert run(code) == "ivs_async.models x"


def test_lazy_models_are_attrs_models_like_the_others() -> None:
    cls = models.CreateChannelRequest
    assert attrs.has(cls) and cls.__module__ == "ivs_async.models"
    assert {"CreateChannelRequest", "CreateChannelResponse", "CreateChannelRequestDict"} <= set(dir(models))
    request = cls(name="x", latency_mode="LOW", multitrack_input_configuration={"enabled": True})
    assert isinstance(request.multitrack_input_configuration, models.MultitrackInputConfiguration)
    assert attrs.evolve(request, name="y").name == "y"
    assert not hasattr(request, "__dict__")  # slotted, as every model
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request.name = "z"  # type: ignore[misc]
    assert STRUCTURES[cls].name == "CreateChannelRequest"
    assert WRITERS[cls](request)["multitrackInputConfiguration"] == {"enabled": True}
    assert READERS[models.CreateChannelResponse]({}, None) == models.CreateChannelResponse()
    with pytest.raises(AttributeError, match="NoSuchModel"):
        models.NoSuchModel  # type: ignore[attr-defined]  # noqa: B018


def test_the_indexes_refuse_a_look_alike_class() -> None:
    @attrs.frozen
    class GetChannelRequest:  # same name, not ours
        arn: str

    assert GetChannelRequest not in STRUCTURES
    assert WRITERS.get(GetChannelRequest) is None
    assert models.GetChannelRequest in STRUCTURES


def test_runtime_introspection_resolves_lazy_names() -> None:
    from ivs_async import Ivs
    from ivs_async.commands import ListStreamKeysCommand

    hints = typing.get_type_hints(ListStreamKeysCommand.__init__)
    assert hints["input"] == models.ListStreamKeysRequest | None
    assert typing.get_type_hints(Ivs.list_stream_keys)["return"] is models.ListStreamKeysResponse
    assert typing.get_type_hints(models.ListStreamKeysRequest)["channel_arn"] is str


def test_credential_providers_load_only_for_a_client_that_needs_them() -> None:
    loaded = "sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('ivs_async.credentials._'))"
    code = (
        "import sys\n"
        "from ivs_async import IvsClient, StaticCredentials\n"
        "IvsClient(region='us-west-2', credentials=StaticCredentials('AKID', 'SECRET'), environ={})\n"
        f"given = {loaded}\n"
        "IvsClient(region='us-west-2', environ={})  # the default chain\n"
        "from ivs_async.credentials import ContainerCredentials, default_chain\n"
        f"print(given, 'ivs_async.credentials._imds' in sys.modules, ContainerCredentials.__module__, "
        "default_chain.__module__)\n"
    )
    assert run(code) == "['_base'] True ivs_async.credentials ivs_async.credentials"


def test_a_signed_call_never_loads_requests() -> None:
    # aws-requests-auth imports requests; only the emulator's checker uses it.
    code = (
        "import asyncio, json, sys\n"
        "from ivs_async import IvsClient, StaticCredentials\n"
        "from ivs_async.commands import GetChannelCommand\n"
        "seen = []\n"
        "async def answer(reader, writer):\n"
        "    head = await reader.readuntil(b'\\r\\n\\r\\n')\n"
        "    seen.append(b'authorization: aws4-hmac-sha256 credential=akid/' in head.lower())\n"
        "    length = int(head.lower().split(b'content-length:')[1].split(b'\\r\\n')[0])\n"
        "    await reader.readexactly(length)\n"
        "    body = json.dumps({'channel': {'name': 'x'}}).encode()\n"
        "    writer.write(b'HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n'\n"
        "                 b'Content-Length: %d\\r\\n\\r\\n%s' % (len(body), body))\n"
        "    await writer.drain()\n"
        "    writer.close()\n"
        "async def main():\n"
        "    server = await asyncio.start_server(answer, '127.0.0.1', 0)\n"
        "    port = server.sockets[0].getsockname()[1]\n"
        "    async with IvsClient(region='us-west-2', endpoint=f'http://127.0.0.1:{port}', environ={},\n"
        "                         credentials=StaticCredentials('AKID', 'SECRET')) as client:\n"
        f"        output = await client.send(GetChannelCommand(arn={ARN!r}))\n"
        "    server.close()\n"
        "    return output.channel.name\n"
        "name = asyncio.run(main())\n"
        "print(name, seen, [m for m in ('requests', 'aws_requests_auth') if m in sys.modules])\n"
    )
    assert run(code) == "x [True] []"


def test_a_program_that_uses_only_ivs_loads_nothing_of_the_other_services() -> None:
    code = (
        "import sys, asyncio\n"
        "import ivs_async, ivs_async.errors, ivs_async.models, ivs_async.paginators\n"
        "from ivs_async import Ivs, IvsClient, StaticCredentials\n"
        "from ivs_async.commands import GetChannelCommand\n"
        "async def main():\n"
        "    async with Ivs(region='us-west-2', environ={}, credentials=StaticCredentials('AKIDEXAMPLE', 'x'),\n"
        "                   endpoint='http://127.0.0.1:9', max_attempts=1) as client:\n"
        "        try:\n"
        "            await client.send(GetChannelCommand(arn='arn:aws:ivs:us-west-2:123456789012:channel/abcd'))\n"
        "        except ivs_async.errors.IvsError:\n"
        "            pass\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if 'chat' in m or 'realtime' in m))\n"
    )
    assert run(code) == "[]"
    chat = "import sys\nfrom ivs_async.chat import IvsChat\nprint('ivs_async._generated.ivs_realtime' in sys.modules)\n"
    assert run(chat) == "False"
