// The upload page's uploader: the pane's resumable tus client (the `zegel-upload` wasm module) under
// the page's session cookie. Each chosen or dropped file uploads at once, with a progress bar; the form
// then sends the finished uploads' ids. Without this script the page says that uploading needs it.
import init, { upload, forget } from "/addin/pkg/zegel-upload.js";

const root = document.getElementById("uploader");
const form = document.getElementById("send-form");
const input = document.getElementById("files");
const drop = document.getElementById("drop");
const list = document.getElementById("file-list");
const ids = document.getElementById("uploads");
const send = document.getElementById("send");
const t = root.dataset;
const maxFiles = Number(t.maxFiles);
const maxBytes = Number(t.maxBytes);
// An upload request or a portal sends files; a reply may be text alone.
const filesRequired = t.filesRequired !== "false";
// On /send the uploads are the browser sender's.
const asSender = t.asSender === "true";
const entries = [];

// Why an upload failed, in the page's words.
function reason(code) {
  if (code === "session") return t.signedOut;
  if (code === "too_large") return t.tooLarge;
  if (code === "upload_quota") return t.tooMany;
  return t.failed;
}

function refresh() {
  ids.value = entries.filter((e) => e.id).map((e) => e.id).join(",");
  const busy = entries.some((e) => !e.id && !e.error);
  send.disabled = busy || (filesRequired && !entries.some((e) => e.id));
}

async function remove(entry) {
  entries.splice(entries.indexOf(entry), 1);
  entry.li.remove();
  refresh();
  if (entry.id) {
    const headers = { "Tus-Resumable": "1.0.0" };
    if (asSender) headers["Zegel-Uploader"] = "sender";
    await fetch(`/api/v1/uploads/${entry.id}`, { method: "DELETE", headers }).catch(() => {});
  }
  forget(entry.file);
}

function add(file) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = file.size || 1;
  bar.value = 0;
  bar.setAttribute("aria-label", file.name);
  const state = document.createElement("span");
  state.className = "state";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.textContent = t.remove;
  li.append(name, bar, state, button);
  list.append(li);
  const entry = { file, li, id: null, error: null };
  button.addEventListener("click", () => remove(entry));
  entries.push(entry);
  if (entries.length > maxFiles) {
    entry.error = t.tooMany;
  } else if (file.size > maxBytes) {
    entry.error = t.tooLarge;
  }
  if (entry.error) {
    state.textContent = entry.error;
    li.classList.add("failed");
    refresh();
    return;
  }
  state.textContent = t.uploading;
  refresh();
  upload(
    file,
    (offset) => {
      bar.value = offset;
    },
    asSender,
  ).then(
    (id) => {
      entry.id = id;
      bar.value = bar.max;
      state.textContent = t.uploaded;
      li.classList.add("done");
      refresh();
    },
    (code) => {
      entry.error = reason(String(code));
      state.textContent = entry.error;
      li.classList.add("failed");
      refresh();
    },
  );
}

function addAll(files) {
  for (const file of files) add(file);
}

async function start() {
  try {
    await init();
  } catch (_) {
    return; // The notice for pages without the uploader stays.
  }
  root.hidden = false;
  input.addEventListener("change", () => {
    addAll(input.files);
    input.value = "";
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    addAll(event.dataTransfer.files);
  });
  form.addEventListener("submit", (event) => {
    if (filesRequired && !entries.some((e) => e.id)) {
      event.preventDefault();
      return;
    }
    // Sent: the kept addresses (for resuming after a reload) are no longer needed.
    for (const entry of entries) forget(entry.file);
  });
}

start();
