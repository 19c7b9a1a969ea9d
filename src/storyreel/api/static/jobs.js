// storyreel web page: the recent jobs list, filtered by status (asked of the server) and by
// text (title, story or id, in the page), each openable and, once it has ended, deletable.
"use strict";

const JOBS_LIMIT = 50;
const BUSY = ["queued", "running"];
let recentJobs = [];

function stateClass(status) {
  return { succeeded: "done", failed: "failed", running: "running", review: "review" }[status] || "";
}

async function refreshJobs() {
  const list = $("jobs");
  const status = $("jobs-status").value;
  try {
    const query = new URLSearchParams({ limit: String(JOBS_LIMIT) });
    if (status) query.set("status", status);
    recentJobs = (await api(`/jobs?${query}`)).jobs;
    drawJobs();
  } catch (error) {
    list.replaceChildren(el("li", { className: "error" }, error.message));
  }
}

function matches(job, words) {
  const haystack = `${job.title || ""} ${job.story_preview} ${job.id}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

function drawJobs() {
  const words = $("jobs-text").value.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = recentJobs.filter((job) => matches(job, words));
  const items = shown.map(jobItem);
  if (!items.length) {
    const filtered = words.length || $("jobs-status").value;
    items.push(el("li", { className: "muted" }, filtered ? "No job matches." : "No jobs yet."));
  }
  $("jobs").replaceChildren(...items);
}

function jobItem(job) {
  const label = job.title || job.story_preview;
  const item = el("li", { "data-job": job.id },
    el("span", { className: `state ${stateClass(job.status)}` }, job.status),
    el("span", { className: "preview", dir: "auto", title: label }, label),
    el("button", {
      type: "button", className: "link", "aria-label": `open job ${job.id}`,
      on: { click: () => watch(job.id) },
    }, "open"));
  if (!BUSY.includes(job.status)) {
    item.append(el("button", {
      type: "button", className: "link danger", "aria-label": `delete job ${job.id}`,
      on: { click: () => deleteJob(job) },
    }, "delete"));
  }
  return item;
}

async function deleteJob(job) {
  const sure = await confirmAction({
    title: `Delete job ${job.id}?`,
    text: `“${job.title || job.story_preview}”: its video, pictures, sound and record are ` +
      "removed. This cannot be undone.",
    yes: "Delete",
  });
  if (!sure) return;
  try {
    await api(`/jobs/${job.id}`, { method: "DELETE" });
    forgetJob(job.id); // app.js: the job on screen goes too
    say($("jobs-note"), `job ${job.id} deleted`);
  } catch (error) {
    say($("jobs-note"), error.message, true);
  }
  refreshJobs();
}

function setUpJobs() {
  $("refresh").addEventListener("click", refreshJobs);
  $("jobs-status").addEventListener("change", refreshJobs);
  $("jobs-text").addEventListener("input", drawJobs);
}
