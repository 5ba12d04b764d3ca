"""Middleware: the stack, its steps, and the built-in entries every client starts with.

Add your own with ``client.middleware_stack.add(mw, step="build", name="my-header")`` or
``add_relative_to(mw, relation="after", to_name="signing")``; ``identify()`` lists the order.
"""

from __future__ import annotations

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.http import HttpRequest, HttpResponse
from ivs_async._core.public import rehome as _rehome
from ivs_async._core.stack import Handler, Middleware, MiddlewareStack, Priority, StackError, Step
from ivs_async._exceptions import PacingTimeoutError
from ivs_async.middleware import (
    deserializer,
    logger,
    retry,
    serializer,
    signing,
    telemetry,
    user_agent,
    validation,
)
from ivs_async.middleware.deserializer import deserializer_middleware
from ivs_async.middleware.logger import logging_middleware
from ivs_async.middleware.metadata_pacing import PutMetadataPacer
from ivs_async.middleware.retry import retry_middleware
from ivs_async.middleware.serializer import serializer_middleware
from ivs_async.middleware.signing import signing_middleware
from ivs_async.middleware.telemetry import telemetry_middleware
from ivs_async.middleware.user_agent import user_agent_middleware
from ivs_async.middleware.validation import validation_middleware


def default_stack() -> MiddlewareStack:
    """A new stack holding the built-in entries, in their places."""
    return _DEFAULT_STACK.clone()  # a copy: the template's entries are frozen and it is never changed


def _built_in() -> MiddlewareStack:
    stack = MiddlewareStack()
    stack.add(telemetry_middleware, step=Step.INITIALIZE, priority=Priority.HIGH, name=telemetry.NAME)
    stack.add(logging_middleware, step=Step.INITIALIZE, priority=Priority.HIGH, name=logger.NAME)
    stack.add(validation_middleware, step=Step.INITIALIZE, name=validation.NAME)
    stack.add(serializer_middleware, step=Step.SERIALIZE, name=serializer.NAME)
    stack.add(user_agent_middleware, step=Step.BUILD, name=user_agent.NAME)
    stack.add(retry_middleware, step=Step.FINALIZE, priority=Priority.HIGH, name=retry.NAME)
    stack.add_relative_to(signing_middleware, relation="after", to_name=retry.NAME, name=signing.NAME)
    stack.add(deserializer_middleware, step=Step.DESERIALIZE, name=deserializer.NAME)
    return stack


_DEFAULT_STACK = _built_in()


__all__ = [
    "Call",
    "Handler",
    "HandlerContext",
    "HttpRequest",
    "HttpResponse",
    "Middleware",
    "MiddlewareStack",
    "PacingTimeoutError",
    "Priority",
    "PutMetadataPacer",
    "StackError",
    "Step",
    "default_stack",
    "deserializer_middleware",
    "logging_middleware",
    "retry_middleware",
    "serializer_middleware",
    "signing_middleware",
    "telemetry_middleware",
    "user_agent_middleware",
    "validation_middleware",
]

_rehome(__name__, globals(), __all__)
