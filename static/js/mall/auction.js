// The live reverse auction: Socket.IO namespace /auction, a room per auction. The room pushes this
// viewer's new state with every change (a new lowest price, an extension, the close); the page renders
// what it receives and never asks again. The countdown runs on the server's clock: each state carries
// server_now, and the offset to this browser's clock is taken when it arrives. A bid goes over the
// socket (the same service function as the form's HTTP post, which is the fallback without scripts).
import { io } from "/vendor/socket.io/socket.io.esm.min.js";
import { messages } from "/static/js/i18n.js";

const root = document.getElementById("auction");
const d = root.dataset;
const t = messages(root);
const auctionId = Number(d.auctionId);
const $ = (id) => document.getElementById(id);
let state = null;
let offset = 0;

function showError(message) {
  const box = $("auction-error");
  box.textContent = message || "";
  box.classList.toggle("d-none", !message);
}

function left(ms) {
  if (ms <= 0) return t("ended", "已结束");
  const s = Math.floor(ms / 1000);
  const parts = [];
  if (s >= 86400) parts.push(t("days", "%(n)s 天", { n: Math.floor(s / 86400) }));
  if (s >= 3600) parts.push(t("hours", "%(n)s 小时", { n: Math.floor((s % 86400) / 3600) }));
  if (s >= 60) parts.push(t("minutes", "%(n)s 分", { n: Math.floor((s % 3600) / 60) }));
  parts.push(t("seconds", "%(n)s 秒", { n: s % 60 }));
  return parts.join(" ");
}

function tick() {
  if (!state) return;
  const now = Date.now() + offset;
  const live = state.status === "scheduled" || state.status === "live";
  const starts = Date.parse(state.starts_at);
  const ends = Date.parse(state.ends_at);
  if (live && now < starts) {
    $("countdown-label").textContent = t("starts_in", "距开始");
    $("countdown").textContent = left(starts - now);
  } else {
    $("countdown-label").textContent = t("ends_in", "距结束");
    $("countdown").textContent = live ? left(ends - now) : t("ended", "已结束");
  }
}

function render(next, what) {
  const previous = state;
  state = next;
  offset = Date.parse(next.server_now) - Date.now();
  $("auction-status").textContent = next.status_label;
  $("lowest").textContent = next.lowest || t("none", "暂无报价");
  $("bid-count").textContent = next.accepted_bids;
  $("bidder-count").textContent = next.bidders;
  $("extensions").textContent = next.extensions;
  $("ends-at").textContent = next.ends_local;
  if (what === "extended" || (previous && previous.ends_at !== next.ends_at)) {
    const box = $("auction-extended");
    box.textContent = t("extended", "结束时间已顺延至 %(at)s", { at: next.ends_local });
    box.classList.remove("d-none");
  }
  const me = next.me || {};
  if (me.bidder && $("my-rank")) {
    $("my-rank").textContent = me.rank ? t("rank", "您的排名：第 %(rank)s 名（%(pseudonym)s）", { rank: me.rank, pseudonym: me.pseudonym }) : t("no_bid", "您尚未报价");
    $("my-best").textContent = me.best || "—";
    $("bid-form").classList.toggle("d-none", !me.can_bid);
    $("confirm-form").classList.toggle("d-none", !me.offered);
    $("offer-text").textContent = me.offered ? t("offered", "请在 %(due)s 前确认成交。", { due: next.offer_due }) : "";
  }
  const body = $("ranking").querySelector("tbody");
  body.replaceChildren(...next.ranking.map((r) => {
    const tr = document.createElement("tr");
    for (const v of [r.rank, r.bidder, r.price]) { const td = document.createElement("td"); td.textContent = v; tr.append(td); }
    return tr;
  }));
  $("result-area").classList.toggle("d-none", !next.ranking.length && !next.end_reason);
  $("offered-to").textContent = next.offered_to || "";
  $("end-reason").textContent = next.end_reason || "";
  $("log-download").classList.toggle("d-none", !next.sealed);
  tick();
}

async function refresh() {
  const response = await fetch(d.stateUrl, { credentials: "same-origin" });
  if (response.ok) render(await response.json());
}

const socket = io("/auction", { transports: ["websocket", "polling"] });
socket.on("connect", () => {
  $("auction-conn").textContent = t("connected", "实时连接");
  socket.emit("join", { auction_id: auctionId }, (reply) => {
    if (reply && reply.ok) render(reply.state);
    else showError(reply && reply.error ? reply.error.message : t("cannot_join", "无法进入竞价室。"));
  });
});
socket.on("disconnect", () => { $("auction-conn").textContent = t("disconnected", "连接中断，自动重连中"); });
socket.on("changed", (msg) => { if (msg.auction_id === auctionId && msg.state) render(msg.state, msg.what); });
setInterval(() => { if (socket.connected) socket.emit("here", { auction_id: auctionId }); }, 25000);
setInterval(tick, 250);
setInterval(() => { if (!socket.connected) refresh(); }, 10000);

const form = $("bid-form");
if (form) {
  form.addEventListener("submit", (event) => {
    if (!socket.connected) return; // the form posts over HTTP
    event.preventDefault();
    const amount = $("bid-amount").value.trim();
    socket.emit("bid", { auction_id: auctionId, amount, csrf_token: d.csrf }, (reply) => {
      if (reply && reply.ok) { showError(null); $("bid-amount").value = ""; }
      else showError(reply && reply.error ? reply.error.message : t("bid_failed", "报价失败。"));
    });
  });
}
