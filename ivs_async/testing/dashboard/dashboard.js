// The IVS Local dashboard. It polls the control API (/_ivs_local/...) once a second, draws what
// changed, plays the selected live channel with hls.js, and acts through the same API. Data from
// the emulator is shown as text only (textContent), never parsed as HTML.
"use strict";
(() => {
  const API = "/_ivs_local/";
  const POLL_MS = 1000;
  const LISTED = 100; // events and metadata payloads shown
  const $ = (selector) => document.querySelector(selector);

  // An element with attributes (on* and properties excluded) and children (text or elements).
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  async function call(method, path, body) {
    const options = {method, cache: "no-store"};
    if (method === "POST") {
      options.headers = {"Content-Type": "application/json"};
      options.body = JSON.stringify(body || {});
    }
    const response = await fetch(API + path, options);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      data = null;
    }
    if (!response.ok) throw new Error((data && data.message) || `${response.status} ${response.statusText}`);
    return data;
  }
  const get = (path) => call("GET", path);
  const post = (path, body) => call("POST", path, body);

  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");
  const view = {
    selected: decodeURIComponent(location.hash.slice(1)) || null,
    autoSelect: !location.hash,
    channels: [],
    health: null,
    key: null,
    drawn: {}, // section -> the JSON last drawn, to draw only what changed
  };

  function changed(section, data) {
    const json = JSON.stringify(data);
    if (view.drawn[section] === json) return false;
    view.drawn[section] = json;
    return true;
  }

  // -- channels ------------------------------------------------------------------------------

  function drawChannels(channels) {
    view.channels = channels;
    if (view.selected && !channels.some((c) => c.arn === view.selected)) select(null, false);
    // Until the user chooses a channel, the page shows a live one (a public one first: it plays as it is).
    if (view.autoSelect) {
      const shown = channels.find((c) => c.arn === view.selected);
      const live = channels.filter((c) => c.state === "LIVE");
      const best = live.find((c) => !c.authorized) || live[0];
      const kept = shown && shown.state === "LIVE" && (!shown.authorized || best.authorized);
      if (best && !kept) select(best.arn, false);
    }
    if (changed("channels", [channels, view.selected])) {
      $("#no-channels").hidden = channels.length > 0;
      $("#channels tbody").replaceChildren(
        ...channels.map((c) => {
          const row = h(
            "tr",
            {"data-arn": c.arn, "data-state": c.state, class: c.arn === view.selected ? "selected" : null, tabindex: 0},
            h("td", {class: "name"}, c.name || "(no name)", c.authorized ? h("span", {class: "tag"}, "private") : null),
            h("td", {}, h("span", {class: "badge", "data-state": c.state}, c.state)),
            h("td", {}, c.latencyMode),
            h("td", {}, c.type),
            h("td", {}, c.stream ? c.stream.health : ""),
            h("td", {}, c.stream ? String(c.stream.viewerCount) : ""),
          );
          const choose = () => {
            view.autoSelect = false; // the user's choice from now on
            select(c.arn);
          };
          row.addEventListener("click", choose);
          row.addEventListener("keydown", (event) => event.key === "Enter" && choose());
          return row;
        }),
      );
    }
    drawChannel(channels.find((c) => c.arn === view.selected) || null);
  }

  // Choose the channel shown (null: none); choosing it again retries a playback that failed.
  function select(arn, redraw = true) {
    failed.clear();
    if (arn === view.selected) return;
    view.selected = arn;
    history.replaceState(null, "", arn ? `#${encodeURIComponent(arn)}` : location.pathname + location.search);
    $("#cues").replaceChildren();
    $("#put-metadata-result").value = "";
    if (redraw) drawChannels(view.channels);
  }

  function facts(list, pairs) {
    list.replaceChildren(
      ...pairs.filter(([, value]) => value !== null && value !== undefined && value !== "").flatMap(([name, value]) => [
        h("dt", {}, name),
        h("dd", {}, value),
      ]),
    );
  }

  function drawChannel(channel) {
    $("#channel-panel").hidden = channel === null;
    updatePlayer(channel);
    if (channel === null || !changed("channel", [channel, view.health, view.key])) return;
    const live = channel.state === "LIVE";
    $("#channel-name").textContent = channel.name || "(no name)";
    const state = $("#channel-state");
    state.textContent = channel.state;
    state.dataset.state = channel.state;
    const ingest = view.health && view.health.rtmpUrl;
    facts($("#channel-facts"), [
      ["ARN", channel.arn],
      ["Type", `${channel.type}, ${channel.latencyMode} latency${channel.authorized ? ", private (viewer tokens)" : ""}`],
      ["Playback URL", channel.playbackUrl],
      ["RTMP ingest", ingest ? `${ingest} + the stream key's value` : "off (ivs-local --rtmp-port)"],
      ["Stream keys", channel.streamKeyArns.length ? `${channel.streamKeyArns.join(", ")} (values: GetStreamKey)` : "none"],
      ["Recording", channel.recordingConfigurationArn || "off"],
    ]);
    $("#live-actions").hidden = !live;
    $("#offline-actions").hidden = live;
    drawSession(channel);
  }

  function drawSession(channel) {
    const session = channel.session;
    const stream = channel.stream;
    const ingest = (session && session.ingestConfiguration) || {};
    const video = ingest.video;
    const audio = ingest.audio;
    const kbps = (bits) => (bits ? `${Math.round(bits / 1000)} kbps` : "");
    const pairs = [];
    if (stream) {
      pairs.push(
        ["Stream", `${stream.streamId} (${stream.source === "ingest" ? "an encoder" : "simulated: a test pattern"})`],
        ["Started", time(stream.startTime)],
        ["Health", stream.health],
        ["Viewers", String(stream.viewerCount)],
      );
    } else if (session) {
      pairs.push(["Last stream", `${session.streamId}, ${time(session.startTime)} to ${time(session.endTime)}`]);
    }
    if (video) {
      pairs.push(
        ["Video", `${video.codec} (${video.profile || video.avcProfile || ""} ${video.level || video.avcLevel || ""})`],
        ["Resolution", `${video.videoWidth}×${video.videoHeight} at ${video.targetFramerate} fps`],
        ["Video bitrate", kbps(video.targetBitrate)],
        ["Encoder", video.encoder],
      );
    }
    if (audio) {
      pairs.push(
        ["Audio", `${audio.codec}, ${audio.sampleRate} Hz, ${audio.channels} channel${audio.channels === 1 ? "" : "s"}`],
        ["Audio bitrate", kbps(audio.targetBitrate)],
      );
    }
    if (session && session.truncatedEvents) {
      pairs.push(["Session events", session.truncatedEvents.map((e) => `${e.name} ${time(e.eventTime)}`).join(" · ")]);
    }
    if (!pairs.length) pairs.push(["", "No stream yet."]);
    facts($("#session"), pairs);
  }

  // -- the player ----------------------------------------------------------------------------

  let player = null; // {key, hls} of the stream playing
  const failed = new Set(); // streams whose playback failed: not retried until asked

  function status(text, state) {
    const line = $("#player-status");
    line.textContent = text;
    line.dataset.state = state;
  }

  function stopPlayer() {
    if (player === null) return;
    player.hls.destroy();
    const video = $("#video");
    video.removeAttribute("src");
    video.load();
    video.hidden = true;
    player = null;
  }

  function updatePlayer(channel) {
    const stream = channel && channel.stream;
    const key = stream ? `${channel.arn} ${stream.streamId}` : null;
    $("#key-box").hidden = true;
    if (player !== null && player.key === key) return;
    stopPlayer();
    if (channel === null) return;
    if (!stream) return status("Offline: publish to the channel with an encoder, or simulate a stream.", "offline");
    if (!channel.playable) return status(channel.problem || "Live; waiting for its first segment…", "waiting");
    if (failed.has(key)) return;
    if (channel.authorized && !(view.key && view.key.keyPairArn)) return askForKey();
    startPlayer(channel, key);
  }

  function askForKey() {
    const key = view.key;
    $("#key-box").hidden = false;
    $("#import-key").disabled = !(key && key.available);
    $("#key-source").textContent = key && key.given ? "given with --dashboard-key" : "it made for itself";
    $("#key-fingerprint").textContent = key && key.available ? key.fingerprint : key ? key.reason : "…";
    status("Private channel: the dashboard's key pair is not imported.", "needs-key");
  }

  // The TXXX frames of an ID3v2.4 tag (what IVS writes for PutMetadata): their texts.
  const decoder = new TextDecoder();
  function txxx(bytes) {
    const size = (at) => (bytes[at] << 21) | (bytes[at + 1] << 14) | (bytes[at + 2] << 7) | bytes[at + 3];
    const found = [];
    for (let tag = 0; tag + 10 <= bytes.length && decoder.decode(bytes.subarray(tag, tag + 3)) === "ID3"; tag += 10 + size(tag + 6)) {
      const end = tag + 10 + size(tag + 6);
      for (let frame = tag + 10; frame + 10 <= end && bytes[frame]; frame += 10 + size(frame + 4)) {
        if (decoder.decode(bytes.subarray(frame, frame + 4)) !== "TXXX") continue;
        const body = bytes.subarray(frame + 10, frame + 10 + size(frame + 4));
        found.push(decoder.decode(body.subarray(body.indexOf(0, 1) + 1)));
      }
    }
    return found;
  }

  // Whether a stream is still live, asked of the emulator (one question at a time, answers kept
  // 250 ms): the player asks before each request, so that it stops when the stream ends instead
  // of meeting the 404s an ended stream's playlists answer.
  let liveness = null;
  function stillLive(arn, streamId) {
    if (liveness === null) {
      liveness = get("channels").then(
        (answer) => answer.channels,
        () => null,
      );
      const asked = liveness;
      asked.finally(() => setTimeout(() => liveness === asked && (liveness = null), 250));
    }
    return liveness.then((channels) => {
      const channel = channels && channels.find((c) => c.arn === arn);
      return Boolean(channel && channel.stream && channel.stream.streamId === streamId);
    });
  }

  function loaderFor(channel, ended) {
    const Base = Hls.DefaultConfig.loader;
    return class extends Base {
      load(context, config, callbacks) {
        this.gone = false;
        stillLive(channel.arn, channel.stream.streamId).then((live) => {
          if (this.gone) return;
          if (live) super.load(context, config, callbacks);
          else ended();
        });
      }
      abort() {
        this.gone = true;
        super.abort();
      }
      destroy() {
        this.gone = true;
        super.destroy();
      }
    };
  }

  async function startPlayer(channel, key) {
    if (typeof Hls === "undefined" || !Hls.isSupported()) {
      return status("This browser has no Media Source Extensions: hls.js cannot play here.", "error");
    }
    const url = new URL(channel.playbackUrl);
    let source = url.pathname; // on this origin, whatever host name the page was opened with
    const ended = () =>
      setTimeout(() => {
        if (player === null || player.hls !== hls) return;
        stopPlayer();
        status("The stream ended.", "offline");
      });
    const hls = new Hls({enableWorker: false, enableID3MetadataCues: false, loader: loaderFor(channel, ended)});
    player = {key, hls};
    if (channel.authorized) {
      try {
        const {token} = await post("dashboard/token", {channelArn: channel.arn});
        source += `?token=${encodeURIComponent(token)}`;
      } catch (error) {
        failed.add(key);
        stopPlayer();
        return status(`No viewer token: ${error.message}`, "error");
      }
      if (player === null || player.hls !== hls) return; // another channel was chosen meanwhile
    }
    const video = $("#video");
    video.hidden = false;
    // Cues of our own (hls.js's metadata track misses the first segment's): each PutMetadata
    // payload a segment carries, fired when the playhead reaches it.
    const track = video.addTextTrack("metadata", "PutMetadata");
    track.mode = "hidden";
    const seen = new Set();
    hls.on(Hls.Events.FRAG_PARSING_METADATA, (_, data) => {
      for (const sample of data.samples) {
        for (const text of txxx(sample.data)) {
          const id = `${sample.pts.toFixed(3)} ${text}`;
          if (seen.has(id)) continue; // a segment loaded twice
          seen.add(id);
          const cue = new VTTCue(sample.pts, sample.pts + 0.5, text);
          cue.value = {key: "TXXX", info: "", data: text}; // as hls.js's own ID3 cues carry it
          cue.addEventListener("enter", () => {
            if (player === null || player.hls !== hls) return;
            $("#cues").prepend(h("li", {}, h("time", {}, new Date().toLocaleTimeString()), h("span", {class: "payload"}, text)));
          });
          track.addCue(cue);
        }
      }
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) return;
      failed.add(key);
      stopPlayer();
      const code = data.response && data.response.code ? ` (${data.response.code})` : "";
      status(`Playback stopped: ${data.details}${code}.`, "error");
    });
    video.addEventListener("playing", () => player && player.hls === hls && status("Playing.", "playing"), {once: true});
    status("Loading…", "loading");
    hls.loadSource(source);
    hls.attachMedia(video);
    video.play().catch((error) => status(`Press play (${error.name}).`, "paused"));
  }

  // -- events, metadata, recordings, faults ---------------------------------------------------

  function drawEvents(events) {
    if (!changed("events", events)) return;
    $("#events").replaceChildren(
      ...events
        .slice()
        .reverse()
        .map((event) => {
          const detail = event.detail || {};
          const name = detail.event_name || detail.recording_status || event["detail-type"];
          return h(
            "li",
            {"data-name": name},
            h("time", {}, time(event.time)),
            h("span", {class: "event"}, name),
            h("span", {class: "channel"}, detail.channel_name || ""),
            h("details", {}, h("summary", {}, event["detail-type"]), h("pre", {}, JSON.stringify(event, null, 2))),
          );
        }),
    );
  }

  function drawMetadata(records) {
    if (!changed("metadata", records)) return;
    const names = new Map(view.channels.map((c) => [c.arn, c.name]));
    $("#metadata").replaceChildren(
      ...records
        .slice()
        .reverse()
        .map((record) =>
          h(
            "li",
            {},
            h("time", {}, time(record.receivedAt)),
            h("span", {class: "channel"}, names.get(record.channelArn) || record.channelArn.split("/").pop()),
            h("span", {class: "payload"}, record.payload),
          ),
        ),
    );
  }

  function drawRecordings(answer) {
    if (!changed("recordings", answer)) return;
    $("#recordings-hint").hidden = answer.recordingsDir;
    $("#recordings").replaceChildren(
      ...answer.recordings.map((r) => {
        const files = r.files || [];
        const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
        return h(
          "li",
          {"data-state": r.state},
          h("span", {class: "badge", "data-state": r.state}, r.state),
          h("span", {class: "channel"}, r.channelName),
          h("time", {}, `${time(r.startedAt)}${r.endedAt ? ` to ${time(r.endedAt)}` : ""}`),
          h("code", {class: "where"}, `s3://${r.bucket}/${r.prefix}/`),
          r.files === null
            ? null
            : h(
                "details",
                {},
                h("summary", {}, `${files.length} files, ${Math.round(bytes / 1024)} KiB`),
                h("ul", {class: "files"}, files.map((f) => h("li", {}, `${f.path} (${f.bytes} bytes)`))),
              ),
        );
      }),
    );
  }

  function drawFaults(answer) {
    const form = $("#fault-form");
    if (form.kind.options.length === 0) {
      form.kind.append(...answer.kinds.map((kind) => h("option", {value: kind}, kind)));
      form.operation.append(...answer.operations.map((name) => h("option", {value: name}, name)));
    }
    if (!changed("faults", answer.faults)) return;
    $("#faults").replaceChildren(
      ...answer.faults.map((f) =>
        h(
          "li",
          {},
          `${f.kind} ${f.errorCode || ""} on ${f.operation || "any operation"}, `,
          f.remaining === null ? "every call" : `${f.remaining} call${f.remaining === 1 ? "" : "s"} left`,
        ),
      ),
    );
    $("#clear-faults").disabled = answer.faults.length === 0;
  }

  // -- polling -------------------------------------------------------------------------------

  function connected(ok, problem) {
    const badge = $("#connection");
    badge.dataset.state = ok ? "connected" : "lost";
    badge.textContent = ok ? "connected" : `emulator unreachable (${problem})`;
  }

  async function poll() {
    try {
      if (view.health === null) {
        view.health = await get("health");
        $("#where").textContent = `${view.health.endpoint} · ${view.health.region} · account ${view.health.accountId}`;
      }
      const needKey = view.channels.some((c) => c.authorized) && !(view.key && view.key.keyPairArn);
      const [channels, events, metadata, recordings, faults, key] = await Promise.all([
        get("channels"),
        get(`events?limit=${LISTED}`),
        get(`metadata?limit=${LISTED}`),
        get("recordings"),
        get("faults"),
        needKey || view.key === null ? get("dashboard/key") : Promise.resolve(view.key),
      ]);
      view.key = key;
      connected(true);
      drawChannels(channels.channels);
      drawEvents(events.events);
      drawMetadata(metadata.metadata);
      drawRecordings(recordings);
      drawFaults(faults);
    } catch (error) {
      view.health = null;
      connected(false, error.message);
    }
    setTimeout(poll, POLL_MS);
  }

  // -- actions (the control API; its guard refuses the same requests from another origin) ------

  function selectedChannel() {
    return view.channels.find((c) => c.arn === view.selected) || null;
  }

  async function act(button, work, result) {
    button.disabled = true;
    try {
      const text = await work();
      if (result) result.value = text || "";
    } catch (error) {
      (result || $("#notice")).value = error.message;
    } finally {
      button.disabled = false;
    }
  }

  $("#put-metadata").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#metadata-text");
    const channel = selectedChannel();
    if (!channel) return;
    act(
      event.submitter || input,
      async () => {
        await post("metadata", {channelArn: channel.arn, metadata: input.value});
        const sent = input.value;
        input.value = "";
        return `sent: ${sent}`;
      },
      $("#put-metadata-result"),
    );
  });

  $("#end-stream").addEventListener("click", (event) => {
    const channel = selectedChannel();
    if (!channel) return;
    stopPlayer(); // before its playlists go: no requests for a stream that ended
    act(event.currentTarget, () => post("streams/end", {channelArn: channel.arn}));
  });

  $("#simulate-stream").addEventListener("click", (event) => {
    const channel = selectedChannel();
    if (channel) act(event.currentTarget, () => post("streams/start", {channelArn: channel.arn}));
  });

  $("#close-channel").addEventListener("click", () => {
    view.autoSelect = false; // closed: no channel is opened for the user any more
    select(null);
  });

  $("#import-key").addEventListener("click", (event) =>
    act(event.currentTarget, async () => {
      await post("dashboard/key", {});
      view.key = await get("dashboard/key");
    }),
  );

  $("#fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const fault = {kind: form.kind.value, times: Number(form.times.value) || 1};
    if (form.operation.value) fault.operation = form.operation.value;
    if (form.errorCode.value.trim() && fault.kind === "ERROR") fault.errorCode = form.errorCode.value.trim();
    act(
      event.submitter || form,
      async () => {
        await post("faults", fault);
        return "armed";
      },
      $("#fault-result"),
    );
  });

  $("#clear-faults").addEventListener("click", (event) => act(event.currentTarget, () => call("DELETE", "faults")));

  // Reset asks twice: a second click within 4 seconds.
  let resetArmed = null;
  $("#reset").addEventListener("click", (event) => {
    const button = event.currentTarget;
    if (resetArmed === null) {
      button.textContent = "Click again to reset";
      resetArmed = setTimeout(() => {
        resetArmed = null;
        button.textContent = "Reset…";
      }, 4000);
      return;
    }
    clearTimeout(resetArmed);
    resetArmed = null;
    button.textContent = "Reset…";
    stopPlayer();
    failed.clear();
    act(button, () => post("reset", {}));
  });

  poll();
})();
