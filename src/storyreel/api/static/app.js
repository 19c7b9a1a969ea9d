// storyreel web page: plain JS, no build step. Talks to the same JSON API as any client.
"use strict";

const $ = (id) => document.getElementById(id);
let info = null;
let source = null; // the EventSource of the job on screen
let current = null; // { id, segments, states: {"video:0": "running", ...}, pct: {...} }

// The token goes to the server once; it answers with an HttpOnly cookie that every request
// (fetch, <video>, <img>, EventSource) then carries. The page never keeps the token itself.
async function logIn(value) {
  await api("/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: value }),
  });
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const response = await fetch(path, { ...options, headers, credentials: "same-origin" });
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    const message = body && (body.message || (typeof body.detail === "string" ? body.detail : null));
    const error = new Error(message || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}

// --- the form ------------------------------------------------------------------------------

function jobBody() {
  const body = {
    story: $("story").value.trim() || $("story").placeholder,
    offline: $("offline").checked,
    resolution: $("resolution").value,
    aspect: $("aspect").value,
    subtitles: $("subtitles").value,
    subtitle_style: $("subtitle-style").value,
    music: $("music").value,
  };
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

async function submitJob(event) {
  event.preventDefault();
  const button = $("submit");
  button.disabled = true;
  try {
    const body = jobBody();
    if (body.music === "upload") body.music = await uploadedMusic();
    say($("form-status"), "submitting…");
    const created = await api("/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    say($("form-status"), `job ${created.id} queued`);
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

function stateCell(key) {
  const state = current.states[key] || "pending";
  const pct = current.pct[key];
  const label = state === "running" && pct !== undefined ? `running ${Math.round(pct * 100)}%` : state;
  return `<span class="state ${state}" data-step="${key}">${label}</span>`;
}

function drawProgress() {
  const n = current.segments;
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push(`<tr><th scope="row">${i + 1}</th><td>${stateCell(`frame:${i}`)}</td>` +
      `<td>${stateCell(`speech:${i}`)}</td><td>${stateCell(`video:${i}`)}</td>` +
      `<td>${stateCell(`mux:${i}`)}</td></tr>`);
  }
  if (n) rows.push(`<tr><th scope="row">end</th><td>${stateCell(`frame:${n}`)}</td><td></td><td></td><td></td></tr>`);
  $("stages").querySelector("tbody").innerHTML = rows.join("");
  $("job-steps").innerHTML = `plan ${stateCell("plan")} · final video ${stateCell("assemble")}`;
  const keys = ["plan", "assemble"];
  for (let i = 0; i < n; i++) keys.push(`frame:${i}`, `speech:${i}`, `video:${i}`, `mux:${i}`);
  if (n) keys.push(`frame:${n}`);
  const done = keys.filter((k) => current.states[k] === "done").length;
  const percent = Math.round((100 * done) / keys.length);
  $("overall").style.width = `${percent}%`;
  document.querySelector(".bar").setAttribute("aria-valuenow", String(percent));
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
  $("job-status").textContent = job.status;
  $("cancel").hidden = !["queued", "running"].includes(job.status);
  $("job-error").hidden = !job.error || job.status === "succeeded";
  $("job-error").textContent = job.error || "";
  if (job.storyboard_url) {
    $("storyboard").src = job.storyboard_url;
    $("storyboard-box").hidden = false;
  }
  if (job.video_url && $("video").getAttribute("src") !== job.video_url) {
    $("video").src = job.video_url;
    $("download").href = job.video_url;
    $("download").setAttribute("download", `storyreel-${job.id}.mp4`);
    $("video-box").hidden = false;
  }
  showTimeline(job);
  drawProgress();
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
    $("job-status").textContent = "running";
  }
  if (type === "JobStarted") $("job-status").textContent = "running";
  drawProgress();
}

async function watch(id) {
  if (source) source.close();
  current = { id, segments: 0, states: {}, pct: {} };
  $("job").hidden = false;
  $("job-id").textContent = id;
  $("storyboard-box").hidden = true;
  $("video-box").hidden = true;
  $("video").removeAttribute("src");
  const job = await api(`/jobs/${id}`);
  showJob(job);
  source = new EventSource(`/jobs/${id}/events`);
  const types = ["JobStarted", "PlanReady", "StepStarted", "StepProgress", "StepFinished",
    "StepFailed", "JobFinished", "JobFailed"];
  for (const type of types) {
    source.addEventListener(type, (e) => { if (current.id === id) onEvent(type, JSON.parse(e.data)); });
  }
  source.addEventListener("PlanReady", () => refresh(id));
  source.addEventListener("end", async () => {
    source.close();
    await refresh(id);
    refreshJobs();
  });
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

// --- recent jobs ---------------------------------------------------------------------------

async function refreshJobs() {
  const list = $("jobs");
  try {
    const { jobs } = await api("/jobs?limit=20");
    list.replaceChildren(...jobs.map((job) => {
      const item = document.createElement("li");
      const state = document.createElement("span");
      state.className = `state ${job.status === "succeeded" ? "done" : job.status === "failed" ? "failed" : job.status === "running" ? "running" : ""}`;
      state.textContent = job.status;
      const text = document.createElement("span");
      text.className = "preview";
      text.textContent = job.title || job.story_preview;
      const open = document.createElement("button");
      open.type = "button";
      open.className = "link";
      open.textContent = "open";
      open.setAttribute("aria-label", `open job ${job.id}`);
      open.addEventListener("click", () => watch(job.id));
      item.append(state, text, open);
      return item;
    }));
    if (!jobs.length) list.innerHTML = '<li class="muted">No jobs yet.</li>';
  } catch (error) {
    list.innerHTML = "";
    const item = document.createElement("li");
    item.className = "error";
    item.textContent = error.message;
    list.append(item);
  }
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
  $("clone").addEventListener("click", cloneVoice);
  $("music").addEventListener("change", showMusicTrack);
  showMusicTrack(); // a reload may keep "upload" selected
  $("cancel").addEventListener("click", cancelJob);
  $("refresh").addEventListener("click", refreshJobs);
  refreshJobs();
  refreshWorkers();
  workersTimer = setInterval(refreshWorkers, WORKERS_POLL_MS);
}

document.addEventListener("DOMContentLoaded", start);
