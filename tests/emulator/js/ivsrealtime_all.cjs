// Every IVS Real-Time operation through @aws-sdk/client-ivs-realtime against IVS Local, in the
// order an application would: storage and encoder configurations, two stages and tokens, a public
// key, an ingest configuration, a composition, sessions and participants (none: no media is sent,
// so lists may be empty and unknown ids are not found), replication, tags, then the deletes.
// Prints one JSON line (harness.cjs). With SIGNING_NAME set, one call signed for that service
// instead (the emulator must refuse it).
"use strict";

const crypto = require("node:crypto");
const { Recorder, main, same } = require("./harness.cjs");

const arnOf = (type) => new RegExp(`^arn:aws:ivs:[a-z0-9-]+:[0-9]+:${type}/[a-zA-Z0-9-]+$`);
const tagsAre = (expected) => (o) => !same(o.tags, expected) && `tags ${JSON.stringify(o.tags)}`;
const TAGS = { team: "js" };

// RevokeConnectionToken is in the vendored model but not in every client on npm: then the
// client's own stack (endpoint, signing, protocol) sends it with an operation schema written here
// from the model. The client's command is used as soon as it has one.
function revokeConnectionTokenCommand() {
  const { Command } = require("@smithy/core/client");
  const { getEndpointPlugin } = require("@smithy/core/endpoints");
  const n0 = "com.amazonaws.ivsrealtime";
  const request = [3, n0, "RevokeConnectionTokenRequest", 0, ["tokenId"], [0], 1];
  const response = [3, n0, "RevokeConnectionTokenResponse", 0, [], []];
  const operation = [9, n0, "RevokeConnectionToken", { http: ["POST", "/RevokeConnectionToken", 200] }, () => request, () => response];
  return class RevokeConnectionTokenCommand extends Command.classBuilder()
    .ep({
      UseFIPS: { type: "builtInParams", name: "useFipsEndpoint" },
      Endpoint: { type: "builtInParams", name: "endpoint" },
      Region: { type: "builtInParams", name: "region" },
      UseDualStack: { type: "builtInParams", name: "useDualstackEndpoint" },
    })
    .m(function (CommandClass, cs, config) {
      return [getEndpointPlugin(config, CommandClass.getEndpointParameterInstructions())];
    })
    .s("AmazonInteractiveVideoServiceRealTime", "RevokeConnectionToken", {})
    .n("IVSRealTimeClient", "RevokeConnectionTokenCommand")
    .sc(operation)
    .build() {};
}

// The token's own id (its JWT's jti) when it has one; else the participant id.
function tokenId(participantToken) {
  try {
    const payload = JSON.parse(Buffer.from(participantToken.token.split(".")[1], "base64url").toString("utf8"));
    if (typeof payload.jti === "string" && /^[a-zA-Z0-9-_]{1,64}$/.test(payload.jti)) return payload.jti;
  } catch {
    // not a JWT: fall through
  }
  return participantToken.participantId;
}

main(async () => {
  const rt = new Recorder("ivs-realtime", "@aws-sdk/client-ivs-realtime");
  const client = rt.client(rt.pkg.IVSRealTimeClient);
  const call = (op, input, options) => rt.call(client, op, input, options);
  const missing = (type) => `arn:aws:ivs:${process.env.AWS_REGION}:123456789012:${type}/missing0000`;
  const gone = { expected: ["ResourceNotFoundException"] };

  if (process.env.SIGNING_NAME) {
    await call("ListStages", {}, { expected: ["InvalidSignatureException"] });
    rt.print();
    return;
  }

  // Storage and encoder configurations (what compositions and recordings need).
  const storage = await call(
    "CreateStorageConfiguration",
    { name: "recordings", s3: { bucketName: "ivs-local-stage-recordings" }, tags: TAGS },
    { check: (o) => !arnOf("storage-configuration").test(o.storageConfiguration.arn) && `arn ${o.storageConfiguration.arn}` },
  );
  const storageArn = storage ? storage.storageConfiguration.arn : missing("storage-configuration");
  await call("GetStorageConfiguration", { arn: storageArn }, {
    check: (o) => (o.storageConfiguration.arn !== storageArn && "arn") || (o.storageConfiguration.s3.bucketName !== "ivs-local-stage-recordings" && "bucket"),
  });
  await call("ListStorageConfigurations", { maxResults: 100 }, {
    check: (o) => !o.storageConfigurations.some((c) => c.arn === storageArn) && "the new configuration is not listed",
  });
  const video = { width: 1280, height: 720, framerate: 30, bitrate: 2500000 };
  const encoder = await call("CreateEncoderConfiguration", { name: "hd", video, tags: TAGS }, {
    check: (o) => (!arnOf("encoder-configuration").test(o.encoderConfiguration.arn) && `arn ${o.encoderConfiguration.arn}`) || (!same(o.encoderConfiguration.video, video) && "video"),
  });
  const encoderArn = encoder ? encoder.encoderConfiguration.arn : missing("encoder-configuration");
  await call("GetEncoderConfiguration", { arn: encoderArn }, { check: (o) => o.encoderConfiguration.arn !== encoderArn && "arn" });
  await call("ListEncoderConfigurations", {}, {
    check: (o) => !o.encoderConfigurations.some((c) => c.arn === encoderArn) && "the new configuration is not listed",
  });

  // Stages: one that records and comes with a token, one to replicate into.
  const created = await call(
    "CreateStage",
    {
      name: "main",
      participantTokenConfigurations: [{ userId: "host", capabilities: ["PUBLISH", "SUBSCRIBE"], duration: 60, attributes: { role: "host" } }],
      autoParticipantRecordingConfiguration: { storageConfigurationArn: storageArn, mediaTypes: ["AUDIO_VIDEO"] },
      tags: TAGS,
    },
    {
      check: (o) =>
        (!arnOf("stage").test(o.stage.arn) && `arn ${o.stage.arn}`) ||
        (!(o.participantTokens && o.participantTokens.length === 1 && o.participantTokens[0].token) && "one token expected") ||
        (o.participantTokens[0].userId !== "host" && "token userId"),
    },
  );
  const stageArn = created ? created.stage.arn : missing("stage");
  const replica = await call("CreateStage", { name: "replica" }, { check: (o) => !arnOf("stage").test(o.stage.arn) && `arn ${o.stage.arn}` });
  const replicaArn = replica ? replica.stage.arn : missing("stage");
  await call("GetStage", { arn: stageArn }, {
    check: (o) => (o.stage.arn !== stageArn && "arn") || (o.stage.autoParticipantRecordingConfiguration.storageConfigurationArn !== storageArn && "recording configuration"),
  });
  await call("ListStages", { maxResults: 100 }, {
    check: (o) => ![stageArn, replicaArn].every((arn) => o.stages.some((s) => s.arn === arn)) && "the new stages are not listed",
  });
  await call("UpdateStage", { arn: stageArn, name: "main-2" }, { check: (o) => o.stage.name !== "main-2" && `name ${o.stage.name}` });
  const token = await call(
    "CreateParticipantToken",
    { stageArn, userId: "guest", capabilities: ["SUBSCRIBE"], duration: 30, attributes: { role: "guest" } },
    {
      check: (o) =>
        (!o.participantToken.token && "no token") ||
        (!o.participantToken.participantId && "no participantId") ||
        (!(o.participantToken.expirationTime instanceof Date) && "expirationTime"),
    },
  );
  const participantToken = token ? token.participantToken : { participantId: "unknownParticipant", token: "" };

  // A public key (for tokens the application signs itself).
  const { publicKey: pem } = crypto.generateKeyPairSync("ec", {
    namedCurve: "secp384r1",
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const key = await call("ImportPublicKey", { name: "signer", publicKeyMaterial: pem, tags: TAGS }, {
    check: (o) => (!arnOf("public-key").test(o.publicKey.arn) && `arn ${o.publicKey.arn}`) || (!o.publicKey.fingerprint && "no fingerprint"),
  });
  const keyArn = key ? key.publicKey.arn : missing("public-key");
  await call("GetPublicKey", { arn: keyArn }, { check: (o) => (o.publicKey.arn !== keyArn && "arn") || (o.publicKey.publicKeyMaterial.trim() !== pem.trim() && "material") });
  await call("ListPublicKeys", {}, { check: (o) => !o.publicKeys.some((k) => k.arn === keyArn) && "the new key is not listed" });

  // An ingest configuration (RTMPS into the stage), moved to the other stage.
  const ingest = await call(
    "CreateIngestConfiguration",
    { name: "encoder", stageArn, userId: "obs", ingestProtocol: "RTMPS", attributes: { source: "obs" }, tags: TAGS },
    {
      check: (o) =>
        (!arnOf("ingest-configuration").test(o.ingestConfiguration.arn) && `arn ${o.ingestConfiguration.arn}`) ||
        (!o.ingestConfiguration.streamKey && "no stream key") ||
        (o.ingestConfiguration.stageArn !== stageArn && "stageArn"),
    },
  );
  const ingestArn = ingest ? ingest.ingestConfiguration.arn : missing("ingest-configuration");
  await call("GetIngestConfiguration", { arn: ingestArn }, { check: (o) => o.ingestConfiguration.arn !== ingestArn && "arn" });
  await call("ListIngestConfigurations", { filterByStageArn: stageArn }, {
    check: (o) => !same(o.ingestConfigurations.map((c) => c.arn), [ingestArn]) && "filter by stage",
  });
  await call("UpdateIngestConfiguration", { arn: ingestArn, stageArn: replicaArn }, {
    check: (o) => o.ingestConfiguration.stageArn !== replicaArn && `stageArn ${o.ingestConfiguration.stageArn}`,
  });

  // A composition of the stage, recorded to S3.
  const composition = await call(
    "StartComposition",
    {
      stageArn,
      idempotencyToken: `js-${Date.now()}`,
      layout: { grid: { featuredParticipantAttribute: "role" } },
      destinations: [{ name: "archive", s3: { storageConfigurationArn: storageArn, encoderConfigurationArns: [encoderArn] } }],
      tags: TAGS,
    },
    {
      check: (o) =>
        (!arnOf("composition").test(o.composition.arn) && `arn ${o.composition.arn}`) ||
        (o.composition.stageArn !== stageArn && "stageArn") ||
        (o.composition.destinations.length !== 1 && "destinations"),
    },
  );
  const compositionArn = composition ? composition.composition.arn : missing("composition");
  await call("GetComposition", { arn: compositionArn }, { check: (o) => o.composition.arn !== compositionArn && "arn" });
  await call("ListCompositions", { filterByStageArn: stageArn }, {
    check: (o) => !o.compositions.some((c) => c.arn === compositionArn) && "the composition is not listed",
  });

  // Sessions and participants: nobody joined, so there may be none.
  const sessions = await call("ListStageSessions", { stageArn }, { check: (o) => !Array.isArray(o.stageSessions) && "no list" });
  const known = sessions && sessions.stageSessions.length ? sessions.stageSessions[0].sessionId : null;
  const sessionId = known || "st-0000000000000";
  const participantId = participantToken.participantId;
  await call("GetStageSession", { stageArn, sessionId }, known ? {} : gone);
  // Neither list has a not-found error in the model: an unknown session lists nothing.
  await call("ListParticipants", { stageArn, sessionId }, { check: (o) => !Array.isArray(o.participants) && "no list" });
  await call("GetParticipant", { stageArn, sessionId, participantId }, gone);
  await call("ListParticipantEvents", { stageArn, sessionId, participantId }, { check: (o) => !Array.isArray(o.events) && "no list" });

  // Replication of a participant that does not publish: refused or accepted, never a crash.
  const replication = { sourceStageArn: stageArn, destinationStageArn: replicaArn, participantId };
  await call("StartParticipantReplication", { ...replication, reconnectWindowSeconds: 30 }, {
    expected: ["ok", "ResourceNotFoundException", "ValidationException"],
  });
  await call("ListParticipantReplicas", { sourceStageArn: stageArn, participantId }, { check: (o) => !Array.isArray(o.replicas) && "no list" });
  await call("StopParticipantReplication", replication, { expected: ["ok", "ResourceNotFoundException"] });
  await call("DisconnectParticipant", { stageArn, participantId, reason: "done" }, { expected: ["ok", "ResourceNotFoundException"] });
  await call("RevokeConnectionToken", { tokenId: tokenId(participantToken) }, {
    command: rt.pkg.RevokeConnectionTokenCommand ? undefined : revokeConnectionTokenCommand(),
  });

  // Tags, on each kind of resource (the path /tags/{arn} is routed by the ARN's type).
  await call("TagResource", { resourceArn: stageArn, tags: { stage: "test", owner: "ci" } });
  await call("ListTagsForResource", { resourceArn: stageArn }, { check: tagsAre({ team: "js", stage: "test", owner: "ci" }) });
  await call("UntagResource", { resourceArn: stageArn, tagKeys: ["stage", "owner"] });
  for (const arn of [stageArn, storageArn, encoderArn, keyArn, ingestArn, compositionArn]) {
    await call("ListTagsForResource", { resourceArn: arn }, { check: tagsAre(TAGS) });
  }

  // The deletes, each in an order the service allows, and what a deleted resource answers.
  await call("StopComposition", { arn: compositionArn });
  await call("DeleteIngestConfiguration", { arn: ingestArn, force: true });
  await call("DeletePublicKey", { arn: keyArn });
  await call("DeleteStage", { arn: stageArn });
  await call("DeleteStage", { arn: replicaArn });
  await call("DeleteEncoderConfiguration", { arn: encoderArn });
  await call("DeleteStorageConfiguration", { arn: storageArn });
  await call("GetStage", { arn: stageArn }, gone);
  await call("GetIngestConfiguration", { arn: ingestArn }, gone);
  await call("GetPublicKey", { arn: keyArn }, gone);
  await call("GetEncoderConfiguration", { arn: encoderArn }, gone);
  await call("GetStorageConfiguration", { arn: storageArn }, gone);
  await call("CreateParticipantToken", { stageArn, userId: "late" }, gone);
  rt.print();
});
