// Real-time notices for signed-in users (core/notify.py): listens on the Socket.IO namespace
// /notify and shows each `notice` as a Bootstrap toast. Text only (textContent), never HTML.
// The container's data-notify-state says how the connection stands (tests read it).
import { io } from "/vendor/socket.io/socket.io.esm.min.js";

const LEVELS = new Set(["info", "success", "warning", "danger"]);
const MAX_SHOWN = 5;
const AUTOHIDE_MS = 12000;
const english = !document.documentElement.lang.startsWith("zh");
const seen = new Set();

function container() {
  let box = document.getElementById("notify-area");
  if (!box) {
    box = document.createElement("div");
    box.id = "notify-area";
    box.className = "toast-container position-fixed top-0 end-0 p-3";
    box.setAttribute("aria-live", "polite");
    box.setAttribute("aria-atomic", "false");
    document.body.append(box);
  }
  return box;
}

function safeUrl(url) {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null;
}

function show(notice) {
  if (!notice || seen.has(notice.id)) return; // a re-delivered task repeats its id
  seen.add(notice.id);
  const level = LEVELS.has(notice.level) ? notice.level : "info";
  const toast = document.createElement("div");
  toast.className = `toast show border-${level}`;
  toast.setAttribute("role", level === "danger" || level === "warning" ? "alert" : "status");
  toast.dataset.noticeId = notice.id;

  const header = document.createElement("div");
  header.className = `toast-header text-bg-${level}`;
  const title = document.createElement("strong");
  title.className = "me-auto";
  title.textContent = notice.title || (english ? "Notice" : "通知");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close";
  close.setAttribute("aria-label", english ? "Close" : "关闭");
  close.addEventListener("click", () => toast.remove());
  header.append(title, close);
  toast.append(header);

  if (notice.body || safeUrl(notice.url)) {
    const body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = notice.body || "";
    const url = safeUrl(notice.url);
    if (url) {
      const link = document.createElement("a");
      link.href = url;
      link.className = "ms-2";
      link.textContent = english ? "View" : "查看";
      body.append(link);
    }
    toast.append(body);
  }

  const box = container();
  box.prepend(toast);
  while (box.children.length > MAX_SHOWN) box.lastElementChild.remove();
  if (level !== "danger") setTimeout(() => toast.remove(), AUTOHIDE_MS);
}

function start() {
  const box = container();
  box.dataset.notifyState = "connecting";
  const socket = io("/notify");
  let connectedBefore = false;
  socket.on("connect", () => {
    box.dataset.notifyState = "connected";
    // Back after a drop: the header clock measures the server's time again (static/js/clock.js).
    if (connectedBefore) window.dispatchEvent(new Event("by:reconnect"));
    connectedBefore = true;
  });
  socket.on("disconnect", () => { box.dataset.notifyState = "disconnected"; });
  // Refused (signed out in another tab, TOTP not enrolled): stop retrying until the next page.
  socket.on("connect_error", () => {
    if (!socket.active) box.dataset.notifyState = "refused";
  });
  socket.on("notice", show);
}

start();
