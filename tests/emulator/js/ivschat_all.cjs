// Every IVS Chat operation through @aws-sdk/client-ivschat against IVS Local, in the order an
// application would: a logging configuration, a room that uses it, tokens and room actions, tags,
// then the deletes (and the answers a deleted resource gets). Prints one JSON line (harness.cjs).
// With SIGNING_NAME set, one call signed for that service instead (the emulator must refuse it).
"use strict";

const { Recorder, main, same } = require("./harness.cjs");

const ROOM_ARN = /^arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room\/[a-zA-Z0-9-]+$/;
const LOGGING_ARN = /^arn:aws:ivschat:[a-z0-9-]+:[0-9]+:logging-configuration\/[a-zA-Z0-9-]+$/;

main(async () => {
  const chat = new Recorder("ivschat", "@aws-sdk/client-ivschat");
  const client = chat.client(chat.pkg.IvschatClient);
  const call = (op, input, options) => chat.call(client, op, input, options);

  if (process.env.SIGNING_NAME) {
    await call("ListRooms", {}, { expected: ["InvalidSignatureException"] });
    chat.print();
    return;
  }

  const logging = await call(
    "CreateLoggingConfiguration",
    {
      name: "chat-logs",
      destinationConfiguration: { s3: { bucketName: "ivs-local-chat-logs" } },
      tags: { team: "js" },
    },
    {
      check: (o) =>
        (!LOGGING_ARN.test(o.arn) && `arn ${o.arn}`) ||
        (o.state !== "ACTIVE" && `state ${o.state}`) ||
        (!same(o.tags, { team: "js" }) && `tags ${JSON.stringify(o.tags)}`),
    },
  );
  const loggingArn = logging ? logging.arn : "arn:aws:ivschat:us-west-2:123456789012:logging-configuration/missing";
  await call("GetLoggingConfiguration", { identifier: loggingArn }, {
    check: (o) => (o.arn !== loggingArn && `arn ${o.arn}`) || (o.destinationConfiguration.s3.bucketName !== "ivs-local-chat-logs" && "destination"),
  });
  await call("ListLoggingConfigurations", { maxResults: 50 }, {
    check: (o) => !o.loggingConfigurations.some((c) => c.arn === loggingArn) && "the new configuration is not listed",
  });
  await call(
    "UpdateLoggingConfiguration",
    { identifier: loggingArn, name: "chat-logs-2", destinationConfiguration: { cloudWatchLogs: { logGroupName: "/ivs/chat" } } },
    { check: (o) => (o.name !== "chat-logs-2" && `name ${o.name}`) || (!o.destinationConfiguration.cloudWatchLogs && "destination not updated") },
  );

  const room = await call(
    "CreateRoom",
    {
      name: "lobby",
      loggingConfigurationIdentifiers: [loggingArn],
      maximumMessageLength: 200,
      maximumMessageRatePerSecond: 10,
      tags: { team: "js" },
    },
    {
      check: (o) =>
        (!ROOM_ARN.test(o.arn) && `arn ${o.arn}`) ||
        (!same(o.loggingConfigurationIdentifiers, [loggingArn]) && "logging configurations") ||
        (o.maximumMessageLength !== 200 && `maximumMessageLength ${o.maximumMessageLength}`),
    },
  );
  const roomArn = room ? room.arn : "arn:aws:ivschat:us-west-2:123456789012:room/missing";
  await call("GetRoom", { identifier: roomArn }, { check: (o) => (o.arn !== roomArn && `arn ${o.arn}`) || (o.name !== "lobby" && `name ${o.name}`) });
  await call("ListRooms", { maxResults: 50 }, { check: (o) => !o.rooms.some((r) => r.arn === roomArn) && "the new room is not listed" });
  await call("ListRooms", { loggingConfigurationIdentifier: loggingArn }, {
    check: (o) => !same(o.rooms.map((r) => r.arn), [roomArn]) && "filter by logging configuration",
  });
  await call("UpdateRoom", { identifier: roomArn, name: "lobby-2", maximumMessageRatePerSecond: 5 }, {
    check: (o) => (o.name !== "lobby-2" && `name ${o.name}`) || (o.maximumMessageRatePerSecond !== 5 && "rate"),
  });

  await call(
    "CreateChatToken",
    {
      roomIdentifier: roomArn,
      userId: "js-user",
      capabilities: ["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER"],
      sessionDurationInMinutes: 30,
      attributes: { display: "JS" },
    },
    {
      check: (o) =>
        (!o.token && "no token") ||
        (!(o.tokenExpirationTime instanceof Date) && "tokenExpirationTime") ||
        (!(o.sessionExpirationTime instanceof Date) && "sessionExpirationTime"),
    },
  );
  await call("SendEvent", { roomIdentifier: roomArn, eventName: "app:quiz", attributes: { question: "tea?" } }, {
    check: (o) => !o.id && "no id",
  });
  // No message was sent over a socket here: the service does not look the id up (it tells the
  // room's clients to delete it), so an id never sent is still ok.
  await call("DeleteMessage", { roomIdentifier: roomArn, id: "abcdefABCDEF", reason: "spam" }, { check: (o) => !o.id && "no id" });
  await call("DisconnectUser", { roomIdentifier: roomArn, userId: "js-user", reason: "bye" });

  await call("TagResource", { resourceArn: roomArn, tags: { stage: "test", owner: "ci" } });
  await call("ListTagsForResource", { resourceArn: roomArn }, {
    check: (o) => !same(o.tags, { team: "js", stage: "test", owner: "ci" }) && `tags ${JSON.stringify(o.tags)}`,
  });
  await call("UntagResource", { resourceArn: roomArn, tagKeys: ["stage", "owner"] });
  await call("ListTagsForResource", { resourceArn: roomArn }, { check: (o) => !same(o.tags, { team: "js" }) && `tags ${JSON.stringify(o.tags)}` });
  await call("ListTagsForResource", { resourceArn: loggingArn }, { check: (o) => !same(o.tags, { team: "js" }) && `tags ${JSON.stringify(o.tags)}` });

  await call("DeleteRoom", { identifier: roomArn });
  await call("DeleteLoggingConfiguration", { identifier: loggingArn });
  const gone = { expected: ["ResourceNotFoundException"] };
  await call("GetRoom", { identifier: roomArn }, gone);
  await call("GetLoggingConfiguration", { identifier: loggingArn }, gone);
  await call("CreateChatToken", { roomIdentifier: roomArn, userId: "late" }, gone);
  await call("ListTagsForResource", { resourceArn: roomArn }, gone);
  chat.print();
});
