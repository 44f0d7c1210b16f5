// The evaluation room: Socket.IO namespace /evaluation, a room per committee. Presence and each
// stage's progress update live; when the stage changes the page reloads (the server decides what
// this viewer sees). Emits carry no scores: only the stage, who is present, who finished what.
import { io } from "/vendor/socket.io/socket.io.esm.min.js";
import { messages } from "/static/js/i18n.js";

const root = document.getElementById("room");
const committeeId = Number(root.dataset.committeeId);
const t = messages(root);
const conn = document.getElementById("room-conn");
let status = root.dataset.status;

function setConn(text, cls) {
  conn.textContent = text;
  conn.className = `badge small ${cls}`;
}

function showPresence(present) {
  const here = new Set(present);
  for (const li of document.querySelectorAll("#member-list [data-member-id]")) {
    const uid = Number(li.dataset.userId || 0);
    const dot = li.querySelector(".js-dot");
    const on = uid ? here.has(uid) : li.dataset.userPresent === "1";
    li.dataset.userPresent = on ? "1" : "0";
    dot.classList.toggle("text-success", on);
    dot.classList.toggle("text-muted", !on);
  }
}

function showProgress(progress) {
  for (const li of document.querySelectorAll("#progress-list [data-stage]")) {
    const ids = progress[li.dataset.stage] || [];
    li.querySelector(".js-done").textContent = String(ids.length);
  }
}

function apply(state) {
  // member ids -> user ids, so presence (by user) can be shown per member row
  for (const m of state.members || []) {
    const li = document.querySelector(`#member-list [data-member-id="${m.id}"]`);
    if (li && m.user_id) li.dataset.userId = String(m.user_id);
  }
}

const socket = io("/evaluation", { transports: ["websocket", "polling"] });
socket.on("connect", () => {
  setConn(t("connected", "已连接"), "text-bg-success");
  socket.emit("join", { committee_id: committeeId }, (reply) => {
    if (!reply || !reply.ok) { setConn((reply && reply.error && reply.error.message) || t("refused", "无法进入"), "text-bg-danger"); return; }
    apply(reply.state);
    showProgress(reply.state.progress);
    showPresence((reply.state.members || []).filter((m) => m.present).map((m) => m.user_id));
  });
});
socket.on("disconnect", () => setConn(t("reconnecting", "连接中断，正在重连"), "text-bg-warning"));
// Presence is shared by the server's processes and expires unless refreshed (events.PRESENCE_TTL).
setInterval(() => { if (socket.connected) socket.emit("here", { committee_id: committeeId }); }, 25000);
socket.on("presence", (msg) => { if (msg.committee_id === committeeId) showPresence(msg.present); });
socket.on("changed", (msg) => {
  if (msg.committee_id !== committeeId) return;
  showProgress(msg.progress || {});
  showPresence(msg.present || []);
  if (msg.status !== status) {
    status = msg.status;
    window.location.reload();
  }
});
