// The online opening hall: Socket.IO namespace /opening, a room per project. Every `changed`
// event makes this page fetch its own view (GET .../hall), so what each viewer sees is decided
// on the server. A 10 s poll covers a lost connection; the page never needs a reload.
import { io } from "/vendor/socket.io/socket.io.esm.min.js";
import { mountShareUnwrap } from "/static/js/crypto/seal-page.js";
import { b64uEncode, unlockKeyFile, unwrapSelf } from "/static/js/crypto/index.js";
import { formatLeft } from "./countdown.js";

const root = document.getElementById("hall");
const d = root.dataset;
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
  if (!response.ok) throw new Error((body.error && body.error.message) || `请求失败（${response.status}）`);
  return body;
}

/** The price cell: the figures, the total stated in the 投标函 when given, and the itemised list. */
function priceCell(r) {
  const cell = el("td", { text: r.price });
  if (r.body_price || r.body_price_upper) {
    cell.append(el("div", { class: "small text-muted js-body-price",
      text: `投标函：${r.body_price}${r.body_price_upper ? `（${r.body_price_upper}）` : ""}` }));
  }
  if (r.items && r.items.length) {
    const rows = r.items.map((i) => el("tr", {}, el("td", { text: i.ref }), el("td", { text: i.name }),
      el("td", { text: i.quantity }), el("td", { text: i.unit_price }), el("td", { text: i.total })));
    const head = el("tr", {}, ...["序号", "名称", "数量", "单价（元）", "合价（元）"].map((t) => el("th", { text: t })));
    cell.append(el("details", { class: "small js-items" }, el("summary", { text: `分项报价 ${r.items.length} 项` }),
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
  $("next-event").querySelector(".js-next-label").textContent = next ? next.label : "无";
  $("next-event").querySelector(".js-next-at").textContent = next ? `${next.at_local}（北京时间）` : "";
  $("next-event").dataset.nextAt = next ? next.at : "";
  $("checkin-count").textContent = String(s.checkins);

  const progress = $("progress-area");
  progress.replaceChildren();
  if (s.counts === null) {
    progress.append(el("p", { class: "text-muted", text: "投标截止前不显示任何投标信息。" }));
  } else {
    for (const lot of s.lots) {
      const n = s.counts[String(lot.id)] ?? 0;
      const line = el("p", { class: "mb-1", text: `标项 ${lot.number}《${lot.name}》：收到投标文件 ${n} 份` });
      if (lot.status === "failed") line.append(el("span", { class: "badge text-bg-danger ms-2", text: lot.failure_reason || "废标" }));
      progress.append(line);
    }
    const list = el("ul", { class: "list-unstyled" });
    for (const p of s.progress) {
      const shares = s.project.opening_mode === "custodian" ? `，密钥份额 ${p.shares}/${s.project.k}` : "";
      list.append(el("li", { class: `js-bid-progress status-${p.status}`, text: `投标文件 ${p.bid}：${p.status_text}${shares}${p.outcome ? `（${p.outcome}）` : ""}` }));
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
      el("div", { text: `${o.org ? `${o.org}：` : ""}${o.text}` }),
      o.answer ? el("div", { class: "text-success", text: `答复：${o.answer}` }) : null);
    if (!o.answer && s.me.staff) {
      const input = el("input", { class: "form-control form-control-sm my-1", placeholder: "答复内容" });
      const button = el("button", { class: "btn btn-sm btn-outline-primary", type: "button", text: "答复" });
      button.addEventListener("click", () => act("answer", { objection_id: o.id, answer: input.value }));
      box.append(input, button);
    }
    return box;
  }));
  if (s.checkin_list) {
    $("checkin-list").replaceChildren(...s.checkin_list.map((c) => el("li", { text: `${c.org}${c.confirmed ? "（已确认记录）" : ""}` })));
  }
  renderMine(s);
  if (s.me.custodian) renderCustody(s);
}

function renderMine(s) {
  if (!s.me.supplier) return;
  $("checkin-btn").disabled = s.me.checked_in;
  $("checkin-btn").textContent = s.me.checked_in ? "已签到" : "签到";
  const done = ["opened", "evaluating", "closed"].includes(s.project.status);
  $("confirm-btn").classList.toggle("d-none", !done);
  $("confirm-btn").disabled = s.me.confirmed;
  $("confirm-btn").textContent = s.me.confirmed ? "已确认开标记录" : "确认开标记录";
  $("my-bids").replaceChildren(...s.me.bids.filter((b) => b.status !== "superseded").map((b) =>
    el("div", { text: `本单位投标文件（标项 #${b.lot_id}）：${b.status_text}${b.outcome ? `，${b.outcome}` : ""}` })));
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
  const bids = custody.bids.map((b) => ({
    id: b.bid_id, label: `标项 ${b.lot} 投标文件 #${b.bid_id}`,
    header: () => fetch(b.header_url, { credentials: "same-origin" }).then((r) => r.blob()),
  }));
  mountShareUnwrap($("share-form"), {
    bids,
    onShare: async (bid, share) => {
      collectedShares.set(bid.id, share);
      $("share-count").textContent = `已解开 ${collectedShares.size} 份`;
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
  $("hall-conn").textContent = "实时连接";
  socket.emit("join", { project_id: projectId }, (reply) => {
    if (reply && reply.ok) render(reply.state);
    else showError(reply && reply.error ? reply.error.message : "无法进入开标大厅。");
  });
});
socket.on("disconnect", () => { $("hall-conn").textContent = "连接中断，自动重连中"; });
socket.on("changed", () => refresh());

function act(event, payload = {}) {
  socket.emit(event, { project_id: projectId, ...payload }, (reply) => {
    if (reply && reply.ok) { showError(null); refresh(); } else showError(reply && reply.error ? reply.error.message : "操作失败。");
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
      if (!keyFile) throw new Error("请选择本单位的密钥文件。");
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
      showError(err.code === "bad_passphrase" ? "口令错误。" : err.message);
    }
  });
}

if (d.custodian === "1") {
  $("share-submit").addEventListener("click", async () => {
    try {
      const body = await api(d.sharesUrl, { method: "POST", body: JSON.stringify({ shares: [...collectedShares.values()], totp: $("share-totp").value.trim() }) });
      $("share-count").textContent = `已提交 ${body.accepted} 份`;
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
  bar.querySelector(".js-countdown").textContent = Number.isNaN(at) ? "" : formatLeft(at - (Date.now() + offset));
}, 1000);
setInterval(refresh, 10000);
refresh();
