// The official IVS Chat Messaging client (amazon-ivs-chat-messaging) in one room, driven by the
// Python test over stdin/stdout, one JSON object a line. The first line from the test holds the URL
// and the tokens its provider hands out; then commands: {"cmd": "send", ...} or {"cmd": "exit"}.
"use strict";

const readline = require("node:readline");

const useWs = process.env.CHAT_WEBSOCKET === "ws" || typeof WebSocket === "undefined";
if (useWs) {
  // Node 20 has no global WebSocket without --experimental-websocket: the ws package then.
  globalThis.WebSocket = require("ws");
}
const { ChatRoom, SendMessageRequest } = require("amazon-ivs-chat-messaging");

const out = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const lines = readline.createInterface({ input: process.stdin });
let room = null;

lines.on("line", (line) => {
  const input = JSON.parse(line);
  if (room === null) {
    start(input);
  } else if (input.cmd === "send") {
    room
      .sendMessage(new SendMessageRequest(input.content, input.attributes))
      .then((message) => out({ event: "sent", id: message.id, requestId: message.requestId }))
      .catch((error) => out({ event: "sendError", errorCode: error.errorCode ?? null, message: String(error.errorMessage ?? error) }));
  } else if (input.cmd === "exit") {
    room.disconnect();
    setTimeout(() => process.exit(0), 50);
  }
});

function start({ url, tokens }) {
  room = new ChatRoom({
    regionOrUrl: url,
    maxReconnectAttempts: 0,
    tokenProvider: async () => {
      const next = tokens.shift();
      if (next === undefined) throw new Error("no more tokens");
      return next;
    },
  });
  // Its console logger writes debug lines to stdout (tokens included): errors only, to stderr.
  room.logger = { debug() {}, info() {}, warn: console.error, error: console.error };
  room.logLevel = "error";
  out({ event: "websocket", implementation: useWs ? "ws" : "node" });
  room.addListener("connect", () => out({ event: "connect" }));
  room.addListener("disconnect", (reason) => out({ event: "disconnect", reason }));
  room.addListener("message", (m) =>
    out({
      event: "message",
      id: m.id,
      content: m.content,
      attributes: m.attributes ?? {},
      userId: m.sender.userId,
      senderAttributes: m.sender.attributes ?? {},
      requestId: m.requestId ?? null,
      sendTime: m.sendTime.toISOString(),
    })
  );
  room.addListener("messageDelete", (e) => out({ event: "messageDelete", messageId: e.messageId, reason: e.reason ?? null }));
  room.addListener("userDisconnect", (e) => out({ event: "userDisconnect", userId: e.userId, reason: e.reason ?? null }));
  room.addListener("event", (e) => out({ event: "event", eventName: e.eventName, attributes: e.attributes ?? {} }));
  room.connect();
}
