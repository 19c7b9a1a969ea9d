// storyreel web page: the studio. A job in review (or ended) shows its Board
// (GET /jobs/{id}/board): the cast, the keyframes and the segments, each editable. Every action
// asks the endpoint with ?dry_run=true first, shows what it re-makes and costs, and runs only
// once confirmed; the job then re-makes what changed and comes back (watch() follows it).
"use strict";

const ENDED = ["succeeded", "failed", "cancelled"];
const DURATIONS = [6, 10];
const PICTURES = "image/png,image/jpeg,image/webp";
let board = null;

// Board loads answered out of order (a poll's, the event stream's, an edit's) must not draw an
// older board over a newer one: only the newest request's answer is drawn.
let boardAsked = 0;

async function loadBoard(id) {
  const asked = ++boardAsked;
  let fresh;
  try {
    fresh = await api(`/jobs/${id}/board`);
  } catch (error) {
    if (error.status === 404 || error.status === 405) { // no board (yet, or on this server)
      $("studio").hidden = true;
      return;
    }
    say($("studio-status"), error.message, true);
    return;
  }
  if (!current || current.id !== id) return; // another job was opened meanwhile
  if (asked !== boardAsked) return; // a newer load is on its way
  // The same board again (the event stream's end and a poll both ask): drawing it anew would
  // throw away what the user is typing into its fields.
  const same = board && JSON.stringify(board) === JSON.stringify(fresh);
  board = fresh;
  if (!same) drawBoard();
  $("studio-controls").disabled = false;
}

function hideBoard() {
  board = null;
  $("studio").hidden = true;
}

function drawBoard() {
  const inReview = board.status === "review";
  const approve = $("approve");
  approve.hidden = !inReview;
  approve.textContent = `Approve and render (${usd(board.pending_usd)})`;
  $("studio-title").textContent = board.title || "";
  $("cast").replaceChildren(...board.cast.map(castCard));
  $("cast-box").hidden = board.cast.length === 0;
  $("frames").replaceChildren(...board.frames.map(frameCard));
  $("segment-cards").replaceChildren(...board.segments.map(segmentCard));
  $("studio").hidden = false;
}

// --- one action: dry run, confirm, run, follow -----------------------------------------------

async function act(what, method, path, body) {
  const id = board.id;
  const line = $("studio-status");
  try {
    say(line, `${what}: checking what it re-makes…`);
    const join = path.includes("?") ? "&" : "?";
    const preview = await api(`${path}${join}dry_run=true`, sending(method, body));
    const sure = await confirmAction({
      title: what,
      text: preview.summary,
      cost: `This costs ${usd(preview.cost_usd)}. Still to pay for the video after it: ` +
        `${usd(preview.pending_usd)}.`,
    });
    if (!sure) { say(line, `${what}: not done`); return; }
    const done = await api(path, sending(method, body));
    boardAsked++; // a board asked for before the edit is out of date
    say(line, done.summary || `${what}: done`);
    await watch(id, { keepStatus: true }); // follows the re-make; the board reloads at its end
  } catch (error) {
    say(line, `${what}: ${error.message}`, true);
  }
}

function upload(input) {
  const file = input.files[0];
  if (!file) return null;
  const form = new FormData();
  form.append("file", file);
  return form;
}

function uploadAction(input, what, path) {
  const form = upload(input);
  if (!form) { say($("studio-status"), `${what}: choose a picture first`, true); return; }
  act(what, "PUT", path, form);
}

async function approve() {
  const id = board.id;
  const line = $("studio-status");
  try {
    const preview = await api(`/jobs/${id}/approve?dry_run=true`, { method: "POST" });
    const cost = preview && preview.cost_usd !== undefined ? preview.cost_usd : board.pending_usd;
    const sure = await confirmAction({
      title: "Approve and render",
      text: (preview && preview.summary) || "Make every clip and the final video.",
      cost: `This costs ${usd(cost)}.`,
      yes: "Render",
    });
    if (!sure) { say(line, "not approved"); return; }
    await api(`/jobs/${id}/approve`, { method: "POST" });
    say(line, "approved: rendering");
    await watch(id, { keepStatus: true });
  } catch (error) {
    say(line, `approve: ${error.message}`, true);
  }
}

// --- the cards -------------------------------------------------------------------------------

function field(id, label, control) {
  control.id = id;
  return el("div", { className: "field" }, el("label", { for: id }, label), control);
}

function picture(url, alt) {
  return url
    ? el("img", { src: url, alt, loading: "lazy" })
    : el("p", { className: "muted placeholder" }, "no picture yet");
}

function castCard(person, n) {
  const base = `/jobs/${board.id}/cast/${encodeURIComponent(person.name)}`;
  const description = el("textarea", { rows: 3, dir: "auto", value: person.description });
  const file = el("input", { type: "file", accept: PICTURES });
  return el("li", { className: "card-item" },
    picture(person.reference_url, `Reference picture of ${person.name}`),
    el("h5", { dir: "auto" }, person.name),
    field(`cast-${n}-description`, "Description", description),
    el("div", { className: "buttons" },
      el("button", { type: "button", className: "secondary", on: { click: () =>
        act(`Describe ${person.name} anew`, "PATCH", base, { description: description.value }),
      } }, "Save description"),
      el("button", { type: "button", className: "secondary", on: { click: () =>
        act(`Draw a new reference of ${person.name}`, "POST", `${base}/reroll`),
      } }, "Draw a new reference")),
    field(`cast-${n}-file`, "Reference picture (png, jpeg or webp)", file),
    el("button", { type: "button", className: "secondary", on: { click: () =>
      uploadAction(file, `Upload a reference of ${person.name}`, `${base}/reference`),
    } }, "Upload reference"));
}

function frameCard(frame) {
  const k = frame.index;
  const base = `/jobs/${board.id}/frames/${k}`;
  const prompt = el("textarea", { rows: 4, dir: "auto", value: frame.prompt });
  const file = el("input", { type: "file", accept: PICTURES });
  const who = frame.characters.length ? ` · ${frame.characters.join(", ")}` : "";
  return el("li", { className: "card-item", "data-frame": k },
    picture(frame.url, `Keyframe ${k}`),
    el("h5", {}, `Keyframe ${k}`),
    el("p", { className: "muted", dir: "auto" }, `${frame.place || ""}${who}`),
    field(`frame-${k}-prompt`, `Keyframe ${k} prompt`, prompt),
    el("div", { className: "buttons" },
      el("button", { type: "button", className: "secondary", on: { click: () =>
        act(`Change keyframe ${k}'s prompt`, "PATCH", `/jobs/${board.id}/plan`,
          { frames: [{ index: k, prompt: prompt.value }] }),
      } }, "Save prompt"),
      el("button", { type: "button", className: "secondary", on: { click: () =>
        act(`Re-roll keyframe ${k}`, "POST", `${base}/reroll`),
      } }, `Re-roll keyframe ${k}`)),
    field(`frame-${k}-file`, "Replacement picture (png, jpeg or webp)", file),
    el("button", { type: "button", className: "secondary", on: { click: () =>
      uploadAction(file, `Upload keyframe ${k}`, base),
    } }, "Upload picture"));
}

function options(values, selected) {
  const all = values.includes(selected) || selected === null ? values : [selected, ...values];
  return all.map((value) => el("option", { value: String(value), selected: value === selected },
    String(value)));
}

function segmentCard(seg) {
  const i = seg.index;
  const narration = el("textarea", { rows: 3, dir: "auto", value: seg.narration });
  const prompt = el("textarea", { rows: 3, dir: "auto", value: seg.video_prompt });
  const camera = el("select", {}, el("option", { value: "" }, "none"),
    ...options(board.cameras, seg.camera || null));
  if (!seg.camera) camera.value = "";
  const duration = el("select", {}, ...options(DURATIONS, seg.duration));
  const save = () => {
    const edit = { index: i };
    if (narration.value !== seg.narration) edit.narration = narration.value;
    if (prompt.value !== seg.video_prompt) edit.video_prompt = prompt.value;
    if (camera.value !== (seg.camera || "")) edit.camera = camera.value;
    if (Number(duration.value) !== seg.duration) edit.duration = Number(duration.value);
    if (Object.keys(edit).length === 1) {
      say($("studio-status"), `segment ${i + 1}: nothing changed`);
      return;
    }
    act(`Change segment ${i + 1}`, "PATCH", `/jobs/${board.id}/plan`, { segments: [edit] });
  };
  const card = el("li", { className: "card-item segment", "data-segment": i },
    el("h5", {}, `Segment ${i + 1}`,
      el("span", { className: "muted" }, ` · keyframes ${seg.first_frame} → ${seg.last_frame}`)),
    field(`segment-${i}-narration`, "Narration", narration),
    seg.narration_url ? el("audio", { controls: true, preload: "none", src: seg.narration_url,
      "aria-label": `Narration of segment ${i + 1}` }) : null,
    field(`segment-${i}-prompt`, "Video prompt", prompt),
    el("div", { className: "row" },
      field(`segment-${i}-camera`, "Camera", camera),
      field(`segment-${i}-duration`, "Seconds", duration)),
    el("div", { className: "buttons" },
      el("button", { type: "button", className: "secondary", on: { click: save } },
        `Save segment ${i + 1}`)));
  if (seg.clip_url) {
    card.append(el("video", { controls: true, preload: "none", src: seg.clip_url,
      "aria-label": `Clip of segment ${i + 1}` }));
  }
  if (ENDED.includes(board.status)) card.append(...afterRender(seg));
  return card;
}

function afterRender(seg) {
  const i = seg.index;
  const base = `/jobs/${board.id}/segments/${i}`;
  const remake = el("button", { type: "button", className: "secondary", on: { click: () =>
    act(`Re-make segment ${i + 1}`, "POST", `${base}/remake`),
  } }, `Re-make segment ${i + 1}`);
  if (seg.versions.length < 2) return [remake];
  const takes = seg.versions.map((take) => el("li", {},
    el("a", { href: take.url, target: "_blank", rel: "noopener" }, `take ${take.version}`),
    " ",
    take.current ? el("span", { className: "muted" }, "(in the video)") :
      el("button", { type: "button", className: "link",
        "aria-label": `use take ${take.version} of segment ${i + 1}`, on: { click: () =>
        act(`Go back to take ${take.version} of segment ${i + 1}`, "POST",
          `${base}/versions/${take.version}/select`),
      } }, "use this take")));
  return [remake, el("p", { className: "muted" }, "Takes:"), el("ul", { className: "takes" }, ...takes)];
}

function setUpStudio() {
  $("approve").addEventListener("click", approve);
}
