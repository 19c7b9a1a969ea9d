// storyreel web page: plain JS, no build step. Talks to the same JSON API as any client.
// This file: the form, the job on screen (progress, results) and the start; helpers in api.js,
// the recent jobs in jobs.js, the storyboard studio in studio.js.
"use strict";

let info = null;
let source = null; // the EventSource of the job on screen
let poller = null; // a slow poll of the job on screen, in case its event stream drops
const POLL_MS = 4000;
let current = null; // { id, segments, states: {"video:0": "running", ...}, pct: {...} }
let submitted = null; // the id of the job this page submitted last: the form's status line follows it
let reviewTouched = false; // the user chose "review first" themselves: keep their choice

// The token goes to the server once; it answers with an HttpOnly cookie that every request
// (fetch, <video>, <img>, EventSource) then carries. The page never keeps the token itself.
async function logIn(value) {
  await api("/session", sending("POST", { token: value }));
}

// --- the form ------------------------------------------------------------------------------

function jobBody(story) {
  const body = {
    story,
    offline: $("offline").checked,
    resolution: $("resolution").value,
    aspect: $("aspect").value,
    subtitles: $("subtitles").value,
    subtitle_style: $("subtitle-style").value,
    music: $("music").value,
  };
  if ($("review").checked) body.review = true;
  if ($("music-volume").value) body.music_volume = Number($("music-volume").value);
  if ($("segments").value) body.segments = Number($("segments").value);
  if ($("budget").value) body.budget = $("budget").value;
  if ($("voice-id").value.trim()) body.voice_id = $("voice-id").value.trim();
  if ($("language").value.trim()) body.language = $("language").value.trim();
  return body;
}

// "upload": the track goes to POST /music first; the job then names it by the id it got back
// (the API never takes a file path).
async function uploadedMusic() {
  const file = $("music-track").files[0];
  if (!file) throw new Error("music: choose a track to upload");
  const form = new FormData();
  form.append("track", file);
  say($("form-status"), "uploading the track…");
  const result = await api("/music", { method: "POST", body: form });
  return `upload:${result.music_id}`;
}

function showMusicTrack() {
  $("music-track-row").hidden = $("music").value !== "upload";
}

// Review first by default when clips are paid for (a key for MiniMax and not offline).
function defaultReview() {
  if (!reviewTouched) $("review").checked = Boolean(info && info.video_paid) && !$("offline").checked;
}

async function submitJob(event) {
  event.preventDefault();
  const story = $("story").value.trim();
  $("story").setAttribute("aria-invalid", String(!story));
  if (!story) { // the placeholder is an example, never sent
    say($("form-status"), "story: write the story to turn into a video first", true);
    $("story").focus();
    return;
  }
  const button = $("submit");
  button.disabled = true;
  try {
    const body = jobBody(story);
    if (body.music === "upload") body.music = await uploadedMusic();
    say($("form-status"), "submitting…");
    const created = await api("/jobs", sending("POST", body));
    submitted = created.id;
    say($("form-status"), `job ${created.id}: ${created.status}`);
    await watch(created.id);
    refreshJobs();
  } catch (error) {
    say($("form-status"), error.message, true);
  } finally {
    button.disabled = false;
  }
}

async function cloneVoice() {
  const file = $("sample").files[0];
  const voiceId = $("voice-id").value.trim();
  if (!file || !voiceId) {
    say($("voice-status"), "choose a sample and type a voice id first", true);
    return;
  }
  const form = new FormData();
  form.append("voice_id", voiceId);
  form.append("sample", file);
  $("clone").disabled = true;
  say($("voice-status"), "uploading…");
  try {
    const result = await api("/voices", { method: "POST", body: form });
    say($("voice-status"), `${result.voice_id}: ${result.note}${result.mock ? " (mock mode)" : ""}`);
  } catch (error) {
    say($("voice-status"), error.message, true);
  } finally {
    $("clone").disabled = false;
  }
}

// --- one job -------------------------------------------------------------------------------

function setStatus(status) {
  $("job-status").textContent = status;
  if (current && current.id === submitted) say($("form-status"), `job ${current.id}: ${status}`);
}

function stateCell(key) {
  const state = current.states[key] || "pending";
  const pct = current.pct[key];
  const label = state === "running" && pct !== undefined ? `running ${Math.round(pct * 100)}%` : state;
  return el("span", { className: `state ${state}`, "data-step": key }, label);
}

function drawProgress() {
  const n = current.segments;
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push(el("tr", {}, el("th", { scope: "row" }, String(i + 1)),
      ...["frame", "speech", "video", "mux"].map((stage) => el("td", {}, stateCell(`${stage}:${i}`)))));
  }
  if (n) {
    rows.push(el("tr", {}, el("th", { scope: "row" }, "end"), el("td", {}, stateCell(`frame:${n}`)),
      el("td"), el("td"), el("td")));
  }
  $("stages").querySelector("tbody").replaceChildren(...rows);
  $("job-steps").replaceChildren("plan ", stateCell("plan"), " · final video ", stateCell("assemble"));
  const keys = ["plan", "assemble"];
  for (let i = 0; i < n; i++) keys.push(`frame:${i}`, `speech:${i}`, `video:${i}`, `mux:${i}`);
  if (n) keys.push(`frame:${n}`);
  const done = keys.filter((k) => current.states[k] === "done").length;
  const percent = Math.round((100 * done) / keys.length);
  $("overall").style.width = `${percent}%`;
  document.querySelector(".bar").setAttribute("aria-valuenow", String(percent));
}

function showDownload(id, url, filename) {
  const link = $(id);
  link.hidden = !url;
  if (!url) return;
  link.href = url;
  link.setAttribute("download", filename);
}

function showJob(job) {
  current.segments = job.progress.segments.length;
  const p = job.progress;
  current.states.plan = p.plan;
  current.states.assemble = p.assemble;
  p.frames.forEach((state, k) => { current.states[`frame:${k}`] = state; });
  for (const seg of p.segments) {
    for (const stage of ["speech", "video", "mux"]) current.states[`${stage}:${seg.index}`] = seg[stage];
  }
  setStatus(job.status);
  $("job-title").textContent = job.title || job.story_preview;
  $("cancel").hidden = !["queued", "running"].includes(job.status);
  $("job-error").hidden = !job.error || job.status === "succeeded";
  $("job-error").textContent = job.error || "";
  if (job.storyboard_url) {
    $("storyboard").src = job.storyboard_url;
    $("storyboard-box").hidden = false;
  }
  if (job.video_url && $("video").getAttribute("src") !== job.video_url) {
    $("video").src = job.video_url;
    $("video-box").hidden = false;
  }
  showDownload("download", job.video_url, `storyreel-${job.id}.mp4`);
  showDownload("download-srt", job.subtitles_url, `storyreel-${job.id}.srt`);
  showDownload("download-manifest", job.manifest_url, `storyreel-${job.id}-manifest.json`);
  $("downloads").hidden = !(job.video_url || job.subtitles_url || job.manifest_url);
  showTimeline(job);
  drawProgress();
  // The board stays on screen while an edit re-makes what it touched, its controls disabled.
  const settled = job.status === "review" || ENDED.includes(job.status);
  $("studio-controls").disabled = !settled;
  if (settled && info.studio) loadBoard(job.id);
}

// Where a finished job's time went (GET /jobs/{id}/timeline.png); builds its own figure after
// the video, so the page's markup needs nothing for it.
function showTimeline(job) {
  let box = document.getElementById("timeline-box");
  if (!box) {
    box = document.createElement("figure");
    box.id = "timeline-box";
    const img = document.createElement("img");
    img.alt = "Timeline: each segment's stages on a time axis";
    const caption = document.createElement("figcaption");
    caption.textContent = "Where the time went";
    box.append(img, caption);
    $("job").append(box);
  }
  const finished = ["succeeded", "failed", "cancelled"].includes(job.status);
  box.hidden = !finished;
  if (!finished) return;
  const src = `/jobs/${job.id}/timeline.png?at=${job.updated_at}`;
  const img = box.querySelector("img");
  if (img.getAttribute("src") !== src) {
    img.onerror = () => { box.hidden = true; }; // no steps ran: nothing to draw (404)
    img.src = src;
  }
}

function onEvent(type, data) {
  const key = data.stage === undefined ? null : (data.segment === null || data.segment === undefined ? data.stage : `${data.stage}:${data.segment}`);
  if (type === "StepStarted") current.states[key] = "running";
  if (type === "StepProgress") {
    if (current.states[key] !== "done") current.states[key] = "running";
    current.pct[key] = data.fraction;
  }
  if (type === "StepFinished") current.states[key] = "done";
  if (type === "StepFailed") current.states[key] = "failed";
  if (type === "PlanReady") {
    current.segments = data.segments;
    setStatus("running");
  }
  if (type === "JobStarted") setStatus("running");
  drawProgress();
}

// Show job ``id`` and follow it to its end (or to review). keepStatus: the studio's line keeps
// what the last action said (an edit or approval re-follows the same job).
async function watch(id, { keepStatus = false } = {}) {
  if (source) source.close();
  const same = current && current.id === id;
  current = { id, segments: 0, states: {}, pct: {} };
  $("job").hidden = false;
  $("job-id").textContent = id;
  if (!same) {
    $("storyboard-box").hidden = true;
    $("video-box").hidden = true;
    $("video").removeAttribute("src");
    hideBoard();
  }
  if (!keepStatus) say($("studio-status"), "");
  const job = await api(`/jobs/${id}`);
  showJob(job);
  source = new EventSource(`/jobs/${id}/events`);
  followByPolling(id);
  const types = ["JobStarted", "PlanReady", "StepStarted", "StepProgress", "StepFinished",
    "StepFailed", "JobFinished", "JobFailed"];
  for (const type of types) {
    source.addEventListener(type, (e) => { if (current.id === id) onEvent(type, JSON.parse(e.data)); });
  }
  source.addEventListener("PlanReady", () => refresh(id));
  source.addEventListener("review", () => refresh(id)); // the cheap stages are done
  const stream = source;
  stream.addEventListener("end", async () => {
    stream.close();
    await refresh(id);
    refreshJobs();
  });
}

// The event stream is the fast path; a proxy or a busy server can drop it, and the status line
// must still reach the job's end. Every few seconds the job is asked for, until it settles.
function followByPolling(id) {
  if (poller) clearInterval(poller);
  poller = setInterval(async () => {
    if (!current || current.id !== id) { clearInterval(poller); return; }
    try {
      const job = await api(`/jobs/${id}`);
      if (job.status === "review" || ENDED.includes(job.status)) {
        clearInterval(poller);
        showJob(job);
        refreshJobs();
      } else {
        setStatus(job.status);
      }
    } catch { /* the next tick tries again */ }
  }, POLL_MS);
}

async function refresh(id) {
  if (!current || current.id !== id) return;
  try { showJob(await api(`/jobs/${id}`)); } catch (error) { say($("form-status"), error.message, true); }
}

async function cancelJob() {
  if (!current) return;
  try {
    await api(`/jobs/${current.id}/cancel`, { method: "POST" });
    await refresh(current.id);
  } catch (error) {
    say($("form-status"), error.message, true);
  }
}

// A deleted job leaves the screen.
function forgetJob(id) {
  if (!current || current.id !== id) return;
  if (source) source.close();
  current = null;
  hideBoard();
  $("job").hidden = true;
  $("video").removeAttribute("src");
}

// --- workers (only with a broker: the line stays hidden in-process) -------------------------

const WORKERS_POLL_MS = 5000;
let workersTimer = null;

async function refreshWorkers() {
  if (document.hidden) return; // a background tab need not ask
  const line = $("workers");
  try {
    const health = await api("/workers");
    if (health.mode !== "remote") {
      clearInterval(workersTimer);
      line.hidden = true;
      return;
    }
    const n = health.workers.length;
    const q = health.queue;
    say(line, `${n} worker${n === 1 ? "" : "s"} alive · ${q.waiting + q.delayed} units queued` +
      ` · ${q.in_flight} in progress`, n === 0);
    line.title = "";
    line.hidden = false;
  } catch (error) {
    if (error.status === 401) { line.hidden = true; return; } // no token yet
    say(line, "workers' queue unreachable", true);
    line.title = error.message;
    line.hidden = false;
  }
}

// --- start ---------------------------------------------------------------------------------

async function start() {
  info = await api("/info");
  $("offline").checked = info.offline_default;
  defaultReview();
  if (info.offline_default) {
    $("mode").textContent = "no API keys: running offline";
    $("mode").hidden = false;
  } else if (info.mock) {
    $("mode").textContent = "MiniMax mock mode";
    $("mode").hidden = false;
  }
  if (info.auth_required) {
    $("token-row").hidden = false;
    $("token").addEventListener("change", async () => {
      try {
        await logIn($("token").value);
        $("token").value = "";
        $("token").placeholder = "logged in";
      } catch (error) {
        $("token").value = "";
        $("token").placeholder = error.status === 401 ? "wrong token" : error.message;
      }
      refreshJobs();
    });
  }
  $("job-form").addEventListener("submit", submitJob);
  $("submit").disabled = false;
  $("story").addEventListener("input", () => $("story").removeAttribute("aria-invalid"));
  $("offline").addEventListener("change", defaultReview);
  $("review").addEventListener("change", () => { reviewTouched = true; });
  $("clone").addEventListener("click", cloneVoice);
  $("music").addEventListener("change", showMusicTrack);
  showMusicTrack(); // a reload may keep "upload" selected
  $("cancel").addEventListener("click", cancelJob);
  setUpJobs();
  setUpStudio();
  refreshJobs();
  refreshWorkers();
  workersTimer = setInterval(refreshWorkers, WORKERS_POLL_MS);
}

document.addEventListener("DOMContentLoaded", start);
