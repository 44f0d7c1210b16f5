// The online opening hall: Socket.IO namespace /opening, a room per project. The room pushes this
// viewer's new view itself with every change (`changed` carries `state`, decided on the server by
// hall.state_for and rendered once per audience), so the page never asks for it after joining. A
// 10 s poll of GET .../hall covers a lost connection; the page never needs a reload.
// The page's text (this script's, the countdown's and the share form's) is #hall's data-messages.
import { io } from "/vendor/socket.io/socket.io.esm.min.js";
import { mountShareUnwrap } from "/static/js/crypto/seal-page.js";
import { b64uEncode, unlockKeyFile, unwrapSelf } from "/static/js/crypto/index.js";
import { messages } from "/static/js/i18n.js";
import { formatLeft } from "./countdown.js";

const root = document.getElementById("hall");
const d = root.dataset;
const t = messages(root);
const projectId = Number(d.projectId);
const $ = (id) => document.getElementById(id);
let state = null;
let offset = 0;
let custodyMounted = false;
const collectedShares = new Map();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function showError(message) {
  const box = $("hall-error");
  if (!message) { box.classList.add("d-none"); return; }
  box.textContent = message;
  box.classList.remove("d-none");
}

async function api(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin", ...options,
    headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf, ...(options.headers || {}) },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.error && body.error.message) || t("request_failed", "请求失败（%(status)s）", { status: response.status }));
  return body;
}

/** The price cell: the figures, the total stated in the 投标函 when given, and the itemised list. */
function priceCell(r) {
  const cell = el("td", { text: r.price });
  if (r.body_price || r.body_price_upper) {
    const text = r.body_price_upper
      ? t("body_price_words", "投标函：%(price)s（%(words)s）", { price: r.body_price, words: r.body_price_upper })
      : t("body_price", "投标函：%(price)s", { price: r.body_price });
    cell.append(el("div", { class: "small text-muted js-body-price", text }));
  }
  if (r.items && r.items.length) {
    const rows = r.items.map((i) => el("tr", {}, el("td", { text: i.ref }), el("td", { text: i.name }),
      el("td", { text: i.quantity }), el("td", { text: i.unit_price }), el("td", { text: i.total })));
    const columns = [t("col_ref", "序号"), t("col_name", "名称"), t("col_quantity", "数量"),
      t("col_unit_price", "单价（元）"), t("col_total", "合价（元）")];
    const head = el("tr", {}, ...columns.map((text) => el("th", { text })));
    const label = t("items_count", "分项报价 %(n)s 项", { n: r.items.length });
    cell.append(el("details", { class: "small js-items" }, el("summary", { text: label }),
      el("table", { class: "table table-sm table-bordered mb-0" }, el("thead", {}, head), el("tbody", {}, ...rows))));
  }
  return cell;
}

function render(s) {
  state = s;
  offset = Date.parse(s.now) - Date.now();
  $("hall-status").textContent = s.project.status_text;
  root.dataset.status = s.project.status;
  const next = s.next_event;
  $("next-event").querySelector(".js-next-label").textContent = next ? next.label : t("none", "无");
  $("next-event").querySelector(".js-next-at").textContent = next ? t("beijing_time", "%(at)s（北京时间）", { at: next.at_local }) : "";
  $("next-event").dataset.nextAt = next ? next.at : "";
  $("checkin-count").textContent = String(s.checkins);
  const nextStep = $("next-step-evaluation");  // the agency's next step once the opening is done
  if (nextStep) nextStep.classList.toggle("d-none", s.project.status !== "opened");

  const progress = $("progress-area");
  progress.replaceChildren();
  if (s.counts === null) {
    progress.append(el("p", { class: "text-muted", text: t("no_info", "投标截止前不显示任何投标信息。") }));
  } else {
    for (const lot of s.lots) {
      const n = s.counts[String(lot.id)] ?? 0;
      const line = el("p", { class: "mb-1",
        text: t("lot_count", "标项 %(number)s《%(name)s》：收到投标文件 %(n)s 份", { number: lot.number, name: lot.name, n }) });
      if (lot.status === "failed") {
        line.append(el("span", { class: "badge text-bg-danger ms-2", text: lot.failure_reason || t("lot_failed", "废标") }));
      }
      progress.append(line);
    }
    const list = el("ul", { class: "list-unstyled" });
    for (const p of s.progress) {
      const shares = s.project.opening_mode === "custodian"
        ? t("progress_shares", "，密钥份额 %(shares)s/%(k)s", { shares: p.shares, k: s.project.k }) : "";
      const outcome = p.outcome ? t("progress_outcome", "（%(outcome)s）", { outcome: p.outcome }) : "";
      const text = t("progress", "投标文件 %(bid)s：%(status)s", { bid: p.bid, status: p.status_text }) + shares + outcome;
      list.append(el("li", { class: `js-bid-progress status-${p.status}`, text }));
    }
    progress.append(list);
  }

  const tbody = $("record-table").querySelector("tbody");
  tbody.replaceChildren(...s.record.map((r) => el("tr", { class: "js-record-row" },
    el("td", { text: String(r.lot) }), el("td", { text: r.bidder }), priceCell(r),
    el("td", { text: r.price_upper }), el("td", { text: r.delivery }), el("td", { text: r.remarks }))));
  $("record-empty").classList.toggle("d-none", s.record.length > 0);

  const objections = $("objections");
  objections.replaceChildren(...s.objections.map((o) => {
    const box = el("div", { class: "border rounded p-2 mb-2" },
      el("div", { text: o.org ? t("objection_from", "%(org)s：%(text)s", { org: o.org, text: o.text }) : o.text }),
      o.answer ? el("div", { class: "text-success", text: t("answered", "答复：%(answer)s", { answer: o.answer }) }) : null);
    if (!o.answer && s.me.staff) {
      const input = el("input", { class: "form-control form-control-sm my-1", placeholder: t("answer_placeholder", "答复内容") });
      const button = el("button", { class: "btn btn-sm btn-outline-primary", type: "button", text: t("answer", "答复") });
      button.addEventListener("click", () => act("answer", { objection_id: o.id, answer: input.value }));
      box.append(input, button);
    }
    return box;
  }));
  if (s.checkin_list) {
    $("checkin-list").replaceChildren(...s.checkin_list.map((c) => el("li", {
      text: c.confirmed ? t("checkin_confirmed", "%(org)s（已确认记录）", { org: c.org }) : c.org })));
  }
  renderMine(s);
  if (s.me.custodian) renderCustody(s);
}

function renderMine(s) {
  if (!s.me.supplier) return;
  $("checkin-btn").disabled = s.me.checked_in;
  $("checkin-btn").textContent = s.me.checked_in ? t("checked_in", "已签到") : t("checkin", "签到");
  const done = ["opened", "evaluating", "closed"].includes(s.project.status);
  $("confirm-btn").classList.toggle("d-none", !done);
  $("confirm-btn").disabled = s.me.confirmed;
  $("confirm-btn").textContent = s.me.confirmed ? t("confirmed", "已确认开标记录") : t("confirm", "确认开标记录");
  $("my-bids").replaceChildren(...s.me.bids.filter((b) => b.status !== "superseded").map((b) =>
    el("div", { text: t("my_bid", "本单位投标文件（标项 %(lot)s）：%(status)s", { lot: b.lot, status: b.status_text })
      + (b.outcome ? t("my_bid_outcome", "，%(outcome)s", { outcome: b.outcome }) : "") })));
  const waiting = s.me.bids.some((b) => b.status === "submitted");
  $("decrypt-area").classList.toggle("d-none", !(s.project.opening_mode === "bidder" && s.project.status === "opening" && waiting));
}

async function renderCustody(s) {
  const card = $("custody-card");
  const open = s.project.status === "opening" && s.project.opening_mode === "custodian";
  card.classList.toggle("d-none", !open);
  if (!open || custodyMounted) return;
  custodyMounted = true;
  const custody = await api(d.custodyUrl);
  const perLot = {};  // the bids of each lot counted 1, 2, 3… (an id means nothing to a custodian)
  const bids = custody.bids.map((b) => ({
    id: b.bid_id, label: t("custody_bid", "标项 %(lot)s 第 %(n)s 份投标文件", { lot: b.lot, n: (perLot[b.lot] = (perLot[b.lot] || 0) + 1) }),
    header: () => fetch(b.header_url, { credentials: "same-origin" }).then((r) => r.blob()),
  }));
  mountShareUnwrap($("share-form"), {
    bids, messages: t,
    onShare: async (bid, share) => {
      collectedShares.set(bid.id, share);
      $("share-count").textContent = t("shares_unwrapped", "已解开 %(n)s 份", { n: collectedShares.size });
      $("share-submit").disabled = false;
    },
  });
}

async function refresh() {
  try {
    render(await api(d.stateUrl));
  } catch (err) {
    showError(err.message);
  }
}

const socket = io("/opening", { transports: ["websocket", "polling"] });
socket.on("connect", () => {
  $("hall-conn").textContent = t("connected", "实时连接");
  socket.emit("join", { project_id: projectId }, (reply) => {
    if (reply && reply.ok) render(reply.state);
    else showError(reply && reply.error ? reply.error.message : t("cannot_join", "无法进入开标大厅。"));
  });
});
socket.on("disconnect", () => { $("hall-conn").textContent = t("disconnected", "连接中断，自动重连中"); });
socket.on("changed", (msg) => { if (msg.project_id === projectId) { if (msg.state) render(msg.state); else refresh(); } });
// Who watches is shared by the server's processes and expires unless refreshed (core.rooms.PRESENCE_TTL).
setInterval(() => { if (socket.connected) socket.emit("here", { project_id: projectId }); }, 25000);

function act(event, payload = {}) {
  socket.emit(event, { project_id: projectId, csrf_token: d.csrf, ...payload }, (reply) => {
    if (reply && reply.ok) showError(null); else showError(reply && reply.error ? reply.error.message : t("action_failed", "操作失败。"));
  });
}

if (d.supplier === "1") {
  $("checkin-btn").addEventListener("click", () => act("checkin"));
  $("confirm-btn").addEventListener("click", () => act("confirm"));
  $("objection-btn").addEventListener("click", () => {
    act("object", { text: $("objection-text").value });
    $("objection-text").value = "";
  });
  $("decrypt-btn").addEventListener("click", async () => {
    try {
      const keyFile = $("decrypt-key").files[0];
      if (!keyFile) throw new Error(t("choose_key", "请选择本单位的密钥文件。"));
      const keys = await unlockKeyFile(keyFile, $("decrypt-pass").value);
      for (const bid of state.me.bids.filter((b) => b.status === "submitted")) {
        const header = await fetch(`/api/v1/tender/bids/${bid.id}/header`, { credentials: "same-origin" }).then((r) => r.blob());
        const fileKey = await unwrapSelf(header, keys);
        await api(`/api/v1/tender/bids/${bid.id}/file-key`, { method: "POST", body: JSON.stringify({ file_key: b64uEncode(fileKey) }) });
        fileKey.fill(0);
      }
      showError(null);
      refresh();
    } catch (err) {
      showError(err.code === "bad_passphrase" ? t("decrypt_bad_passphrase", "口令错误。") : err.message);
    }
  });
}

if (d.custodian === "1") {
  $("share-submit").addEventListener("click", async () => {
    try {
      const body = await api(d.sharesUrl, { method: "POST", body: JSON.stringify({ shares: [...collectedShares.values()], totp: $("share-totp").value.trim() }) });
      $("share-count").textContent = t("shares_submitted", "已提交 %(n)s 份", { n: body.accepted });
      collectedShares.clear();
      $("share-submit").disabled = true;
      showError(null);
      refresh();
    } catch (err) {
      showError(err.message);
    }
  });
}

setInterval(() => {
  const bar = $("next-event");
  const at = Date.parse(bar.dataset.nextAt || "");
  bar.querySelector(".js-countdown").textContent = Number.isNaN(at) ? "" : formatLeft(at - (Date.now() + offset), t);
}, 1000);
setInterval(() => { if (!socket.connected) refresh(); }, 10000);
refresh();
