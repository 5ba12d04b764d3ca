// What the scripts that drive every operation of a service with the JS SDK v3 share: the client
// pointed at IVS Local, one attempt per call, a record of each call (what was asked, what came
// back, which service the request was signed for), and one JSON line at the end.
//
// Settings from the environment: IVS_LOCAL_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY; SIGNING_NAME (optional) makes the client sign for another service.
"use strict";

const BODY_SHOWN = 2000; // characters of an unexpected answer's body kept in the record

function settings() {
  const missing = ["IVS_LOCAL_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter(
    (name) => !process.env[name],
  );
  if (missing.length) throw new Error(`set ${missing.join(", ")}`);
  return {
    endpoint: process.env.IVS_LOCAL_ENDPOINT,
    region: process.env.AWS_REGION,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    },
    maxAttempts: 1, // an error shows at once, never hidden by a retry
  };
}

// The scope's service in the Authorization header: what the request was signed for.
function signedFor(headers) {
  const authorization = headers.authorization || headers.Authorization || "";
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  return match ? { region: match[1], service: match[2] } : null;
}

async function bodyText(body) {
  if (body == null) return "";
  if (body instanceof Uint8Array) return Buffer.from(body).toString("utf8");
  const chunks = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

class Recorder {
  constructor(service, pkg) {
    this.service = service;
    this.pkgName = pkg;
    this.pkg = require(pkg);
    this.version = require(`${pkg}/package.json`).version;
    this.calls = [];
    this._wire = null; // the current call's request and answer, as they went over the wire
  }

  // The client, with one middleware inside the signing and the parsing: it sees the signed
  // request and the raw answer (whose body it keeps, then hands on as bytes).
  client(ClientClass, extra = {}) {
    // SIGNING_NAME: the name the signer uses (the client's own comes from its model otherwise).
    const signing = process.env.SIGNING_NAME ? { signingName: process.env.SIGNING_NAME } : {};
    const client = new ClientClass({ ...settings(), ...signing, ...extra });
    client.middlewareStack.add(
      (next) => async (args) => {
        const wire = { method: args.request.method, path: args.request.path, signedFor: signedFor(args.request.headers) };
        this._wire = wire;
        const result = await next(args);
        const response = result.response;
        wire.status = response.statusCode;
        wire.errorType = response.headers["x-amzn-errortype"];
        if (response.statusCode >= 300) {
          const bytes = Buffer.from(await bodyText(response.body), "utf8");
          wire.body = bytes.toString("utf8").slice(0, BODY_SHOWN);
          response.body = new Uint8Array(bytes);
        }
        return result;
      },
      { step: "deserialize", name: "ivsLocalRecorder", priority: "low" },
    );
    return client;
  }

  // One call: `op` with `input`, expected to end in one of `expected` ("ok" or an error name);
  // `check(output)` returns a problem with a successful answer, if any. Returns the output or
  // undefined.
  async call(client, op, input, { expected = ["ok"], check, command } = {}) {
    const Command = command || this.pkg[`${op}Command`];
    const record = { op, expected, input: redact(input) };
    this.calls.push(record);
    if (!Command) {
      record.outcome = "not-in-client";
      record.message = `${this.pkgName}@${this.version} has no ${op}Command`;
      return undefined;
    }
    if (command) record.via = "operation schema from the vendored model";
    this._wire = null;
    let output;
    try {
      output = await client.send(new Command(input));
      record.outcome = "ok";
    } catch (error) {
      record.outcome = error.name || "Error";
      record.message = String(error.message || error).slice(0, BODY_SHOWN);
      if (error.$metadata) record.status = error.$metadata.httpStatusCode;
    }
    record.wire = this._wire;
    if (record.outcome === "ok" && check) {
      let problem;
      try {
        problem = check(output);
      } catch (error) {
        problem = `check failed: ${error.message}`;
      }
      if (problem) {
        record.outcome = "unexpected-answer";
        record.message = problem;
        record.answer = redact(strip(output));
      }
    }
    if (!expected.includes(record.outcome) && record.answer === undefined && output) record.answer = redact(strip(output));
    return record.outcome === "ok" ? output : undefined;
  }

  print() {
    process.stdout.write(`${JSON.stringify({ service: this.service, version: this.version, calls: this.calls })}\n`);
  }
}

// The answer without the SDK's $metadata.
function strip(output) {
  if (!output || typeof output !== "object") return output;
  const { $metadata, ...rest } = output;
  return rest;
}

// Tokens and stream keys never reach the output, even in a failure's record.
const SECRET_FIELDS = new Set(["token", "streamKey", "secretAccessKey", "privateKey"]);
function redact(value) {
  return JSON.parse(
    JSON.stringify(value, (key, item) => (SECRET_FIELDS.has(key) && typeof item === "string" ? "<redacted>" : item)),
  );
}

// Equal as JSON, whatever the order of the objects' keys.
function same(a, b) {
  const canonical = (value) =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === "object" && !(value instanceof Date)
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]))
        : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

async function main(run) {
  try {
    await run();
  } catch (error) {
    process.stderr.write(`${error.stack || error}\n`);
    process.exitCode = 1;
  }
}

module.exports = { Recorder, main, same };
