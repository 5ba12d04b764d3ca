"""Our own descriptions of the IVS Chat model, for its generated docstrings.

Keys are model names. The generator fails when an operation or a non-request/response
structure has no entry here, so a model update cannot silently ship undocumented code.
The docstrings are Markdown: the reference site renders them (mkdocstrings), help() shows them.
"""

from __future__ import annotations

from descriptions import Prose  # noqa: F401  (every service's module has it; no IVS Chat default needs words yet)

OPERATIONS: dict[str, str] = {
    "CreateChatToken": "Create the encrypted token a chat client connects to a room with.",
    "CreateLoggingConfiguration": "Create a configuration that logs chat messages to S3, CloudWatch Logs or Firehose.",
    "CreateRoom": "Create a chat room.",
    "DeleteLoggingConfiguration": "Delete a logging configuration.",
    "DeleteMessage": "Tell a room's clients to remove a message from view and from their history.",
    "DeleteRoom": "Delete a room.",
    "DisconnectUser": "Disconnect every connection of a user from a room.",
    "GetLoggingConfiguration": "Get a logging configuration by ARN.",
    "GetRoom": "Get a room's configuration by ARN.",
    "ListLoggingConfigurations": "List logging configurations, one page at a time.",
    "ListRooms": "List rooms, last updated first, optionally filtered by name, review handler or logging.",
    "ListTagsForResource": "List the tags of an IVS Chat resource.",
    "SendEvent": "Send an application-defined event to every client of a room.",
    "TagResource": "Add or overwrite tags on an IVS Chat resource.",
    "UntagResource": "Remove tags from an IVS Chat resource.",
    "UpdateLoggingConfiguration": "Change a logging configuration. Members left out keep their values.",
    "UpdateRoom": "Change a room's configuration. Members left out keep their values.",
}

STRUCTURES: dict[str, str] = {
    "CloudWatchLogsDestinationConfiguration": "The CloudWatch Logs group that receives chat logs.",
    "DestinationConfiguration": "Where a logging configuration sends chat logs.",
    "FirehoseDestinationConfiguration": "The Kinesis Data Firehose delivery stream that receives chat logs.",
    "LoggingConfigurationSummary": "A logging configuration as listed.",
    "MessageReviewHandler": "The Lambda function that reviews a room's messages before they are delivered.",
    "RoomSummary": "A room as listed.",
    "S3DestinationConfiguration": "The S3 bucket that receives chat logs.",
    "ValidationExceptionField": "One field that failed validation, with the reason.",
}

ERRORS: dict[str, str] = {
    "AccessDeniedException": "The caller is not allowed to perform the action.",
    "ConflictException": "The request conflicts with the resource's current state.",
    "InternalServerException": "IVS Chat failed to process the request.",
    "PendingVerification": "The account is pending verification.",
    "ResourceNotFoundException": "A resource named in the request does not exist.",
    "ServiceQuotaExceededException": "The request would exceed a service quota.",
    "ThrottlingException": "The request was throttled.",
    "ValidationException": "IVS Chat rejected the input.",
}

# One line per member wire name; "Structure.member" keys override for one structure.
MEMBERS: dict[str, str] = {
    "arn": "ARN of the resource.",
    "attributes": "Application data attached to the event (at most 1 KB in all).",
    "CreateChatTokenRequest.attributes": (
        "Application data attached to the session and to each of the user's messages (at most 1 KB in all)."
    ),
    "bucketName": "Name of the S3 bucket.",
    "capabilities": "What the user may do besides reading messages.",
    "cloudWatchLogs": "Log to a CloudWatch Logs group.",
    "createTime": "When the resource was created.",
    "deliveryStreamName": "Name of the Firehose delivery stream.",
    "destinationConfiguration": "Where chat messages are logged (exactly one destination).",
    "eventName": "Name of the event, chosen by the application.",
    "fallbackResult": "Whether a message is delivered when the handler fails, times out or answers badly.",
    "firehose": "Log to a Kinesis Data Firehose delivery stream.",
    "id": "Identifier of the resource (the last part of its ARN).",
    "DeleteMessageRequest.id": "Identifier of the message to delete, as clients received it.",
    "DeleteMessageResponse.id": "Identifier of the deletion, set by IVS Chat.",
    "SendEventResponse.id": "Identifier of the sent event, set by IVS Chat.",
    "identifier": "ARN of the resource.",
    "logGroupName": "Name of the CloudWatch Logs group.",
    "loggingConfigurationIdentifier": "Only rooms that log to this logging configuration (ARN).",
    "loggingConfigurationIdentifiers": "ARNs of the logging configurations the room logs to.",
    "loggingConfigurations": "The logging configurations of this page.",
    "maxResults": "Most items to return in one page.",
    "maximumMessageLength": "Longest message accepted, in characters (code points, not bytes).",
    "maximumMessageRatePerSecond": "Most messages per second the room accepts from all clients together.",
    "message": "What is wrong with the field.",
    "messageReviewHandler": "Lambda function that reviews messages before they are delivered (optional).",
    "UpdateRoomRequest.messageReviewHandler": "Lambda function reviewing messages; one with an empty URI removes it.",
    "messageReviewHandlerUri": "Only rooms whose review handler is this Lambda function (ARN).",
    "name": "Name of the resource (need not be unique).",
    "ListRoomsRequest.name": "Only rooms with this name.",
    "ValidationExceptionField.name": "Name of the field that failed validation.",
    "nextToken": "Token of the page to get, from the previous page.",
    "DeleteMessageRequest.reason": "Why the message is deleted.",
    "DisconnectUserRequest.reason": "Why the user is disconnected.",
    "resourceArn": "ARN of the resource.",
    "roomIdentifier": "ARN of the room.",
    "rooms": "The rooms of this page.",
    "s3": "Log to an S3 bucket.",
    "sessionDurationInMinutes": "Minutes a chat session opened with the token lasts.",
    "sessionExpirationTime": "When a session opened with the token ends.",
    "state": "State of the logging configuration; it logs once ACTIVE.",
    "tagKeys": "Keys of the tags to remove.",
    "tags": "Tags of the resource (key to value).",
    "token": "The encrypted chat token (a secret).",
    "tokenExpirationTime": "When the token stops being accepted for connecting.",
    "updateTime": "When the resource was last changed.",
    "uri": "ARN of the Lambda function that reviews messages.",
    "userId": "The application's identifier of the user.",
    "DisconnectUserRequest.userId": "Identifier of the user to disconnect, as given in the user's tokens.",
}


# What IVS Chat applies when a caller leaves a member out ("Structure.member", wire names), from the
# IVS Chat API reference, in our words. Values are shown as code (`ALLOW`, `60`); Prose as written.
# Only Create* inputs (and structures they carry) have defaults: an Update* keeps what it is not
# given.
DEFAULTS: dict[str, object] = {
    "CreateChatTokenRequest.capabilities": [],
    "CreateChatTokenRequest.sessionDurationInMinutes": 60,
    "CreateRoomRequest.maximumMessageRatePerSecond": 10,
    "CreateRoomRequest.maximumMessageLength": 500,
    "MessageReviewHandler.fallbackResult": "ALLOW",
}
