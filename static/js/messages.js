// Real-time messages (消息) for signed-in users (core/messages.py): listens on the Socket.IO namespace
// /messages and shows each `new_message` as a Bootstrap toast. Text only (textContent), never HTML.
// The container's data-message-state says how the connection stands (tests read it).
import { io } from "/vendor/socket.io/socket.io.esm.min.js";

const LEVELS = new Set(["info", "success", "warning", "danger"]);
const MAX_SHOWN = 5;
const AUTOHIDE_MS = 12000;
const english = !document.documentElement.lang.startsWith("zh");
const seen = new Set();

function container() {
  let box = document.getElementById("message-area");
  if (!box) {
    box = document.createElement("div");
    box.id = "message-area";
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

function show(message) {
  if (!message || seen.has(message.id)) return; // a re-delivered task repeats its id
  seen.add(message.id);
  const level = LEVELS.has(message.level) ? message.level : "info";
  const toast = document.createElement("div");
  toast.className = `toast show border-${level}`;
  toast.setAttribute("role", level === "danger" || level === "warning" ? "alert" : "status");
  toast.dataset.messageId = message.id;

  const header = document.createElement("div");
  header.className = `toast-header text-bg-${level}`;
  const title = document.createElement("strong");
  title.className = "me-auto";
  title.textContent = message.title || (english ? "Message" : "消息");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close";
  close.setAttribute("aria-label", english ? "Close" : "关闭");
  close.addEventListener("click", () => toast.remove());
  header.append(title, close);
  toast.append(header);

  if (message.body || safeUrl(message.url)) {
    const body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = message.body || "";
    const url = safeUrl(message.url);
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
  box.dataset.messageState = "connecting";
  const socket = io("/messages");
  let connectedBefore = false;
  socket.on("connect", () => {
    box.dataset.messageState = "connected";
    // Back after a drop: the header clock measures the server's time again (static/js/clock.js).
    if (connectedBefore) window.dispatchEvent(new Event("by:reconnect"));
    connectedBefore = true;
  });
  socket.on("disconnect", () => { box.dataset.messageState = "disconnected"; });
  // Refused (signed out in another tab, TOTP not enrolled): stop retrying until the next page.
  socket.on("connect_error", () => {
    if (!socket.active) box.dataset.messageState = "refused";
  });
  socket.on("new_message", show);
}

start();
