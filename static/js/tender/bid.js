// Sealed bid submission page: seal in the browser (static/js/crypto) or upload a CLI-sealed file.
// The upload streams the sealed Blob as the raw request body with a progress bar; the server
// answers with the signed receipt. The opening summary (开标一览表 with its 大写 amount and the
// 分项报价表) is built by ./price.js from the page's fields. The page's text (this script's, price.js's
// and the seal form's) is #bid-app's data-messages.
import { formatBeijing } from "/static/js/clock.js";
import { mountSealForm } from "/static/js/crypto/seal-page.js";
import { messages } from "/static/js/i18n.js";
import { buildSummary, fenToUpper, formatYuan, lineTotal, parseQuantity, warnings, yuanToFen } from "./price.js";

export { yuanToFen };

const app = document.getElementById("bid-app");
const d = app.dataset;
const t = messages(app);
const result = document.getElementById("bid-result");
const progress = document.getElementById("upload-progress");
const $ = (id) => document.getElementById(id);

function show(kind, text) {
  result.className = `alert alert-${kind} mt-2`;
  result.textContent = text;
}

export function upload(blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", d.submitUrl);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("X-CSRFToken", d.csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new Error(t("network", "网络中断，上传未完成，请重试（未完成的上传不会被保存）。")));
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) resolve(body);
      else reject(new Error((body.error && body.error.message) || t("upload_failed", "上传失败（%(status)s）", { status: xhr.status })));
    };
    xhr.send(blob);
  });
}

function receiptText(body) {
  const r = body.receipt;
  return t("receipt", "已递交。回执：摘要 %(digest)s…，服务器时间 %(at)s，审计日志序号 %(seq)s。",
    { digest: r.sha256.slice(0, 16), at: `${formatBeijing(Date.parse(r.received_at))}（${t("beijing", "北京时间")}）`,
      seq: r.audit_seq });
}

/** The receipt stays on screen: its own page (Beijing time, PDF to print), never a vanishing message. */
function showReceipt(body) {
  show("success", receiptText(body));
  window.location.href = d.receiptUrl.replace("/0/", `/${body.receipt.bid_id}/`);
}

// ---------------------------------------------------------------- the price fields

/** A 大写 field follows its figures until the supplier edits it (then a link brings it back). */
function wordsFollow(figuresId, wordsId, resetId) {
  const figures = $(figuresId);
  const words = $(wordsId);
  const reset = resetId ? $(resetId) : null;
  const fill = () => {
    if (words.dataset.auto !== "1") return;
    const fen = yuanToFen(figures.value);
    words.value = fen === null ? "" : fenToUpper(fen);
  };
  figures.addEventListener("input", () => { fill(); checkPrice(); });
  words.addEventListener("input", () => {
    words.dataset.auto = "0";
    if (reset) reset.classList.remove("d-none");
    checkPrice();
  });
  if (reset) {
    reset.addEventListener("click", (event) => {
      event.preventDefault();
      words.dataset.auto = "1";
      reset.classList.add("d-none");
      fill();
      checkPrice();
    });
  }
  fill();
}

function itemRow() {
  const input = (cls, mode) => Object.assign(document.createElement("input"),
    { className: `form-control form-control-sm ${cls}`, inputMode: mode || "text" });
  const tr = document.createElement("tr");
  tr.className = "js-item";
  const cells = [document.createElement("span"), input("js-name"), input("js-quantity", "decimal"),
    input("js-unit", "decimal"), input("js-total", "decimal")];
  cells[0].className = "js-ref";
  cells[4].dataset.auto = "1";
  const remove = Object.assign(document.createElement("button"),
    { className: "btn btn-sm btn-link text-danger js-remove", type: "button", textContent: t("remove", "删除") });
  for (const c of [...cells, remove]) {
    const td = document.createElement("td");
    td.append(c);
    tr.append(td);
  }
  const [, , quantity, unit, total] = cells;
  const recompute = () => {
    if (total.dataset.auto !== "1") return;
    const q = parseQuantity(quantity.value);
    const u = yuanToFen(unit.value);
    total.value = q !== null && u !== null ? formatYuan(lineTotal(u, q)).replace(/,/g, "") : "";
  };
  quantity.addEventListener("input", () => { recompute(); checkPrice(); });
  unit.addEventListener("input", () => { recompute(); checkPrice(); });
  total.addEventListener("input", () => { total.dataset.auto = total.value.trim() ? "0" : "1"; checkPrice(); });
  tr.querySelector(".js-name").addEventListener("input", checkPrice);
  remove.addEventListener("click", () => { tr.remove(); numberRows(); checkPrice(); });
  return tr;
}

function numberRows() {
  [...document.querySelectorAll("#items-table .js-item")].forEach((tr, i) => {
    tr.querySelector(".js-ref").textContent = String(i + 1);
  });
}

function formValues() {
  return {
    bidder: d.bidderName, lot: d.lot, price: $("price").value, priceWords: $("price-words").value,
    bodyPrice: $("body-price").value, bodyPriceWords: $("body-price-words").value,
    delivery: $("delivery").value, remarks: $("remarks").value, smallMicroShare: $("small-micro-share").value,
    items: [...document.querySelectorAll("#items-table .js-item")].map((tr) => ({
      name: tr.querySelector(".js-name").value, quantity: tr.querySelector(".js-quantity").value,
      unitPrice: tr.querySelector(".js-unit").value, total: tr.querySelector(".js-total").value,
    })),
  };
}

/** Show the items' sum and what the committee would have to correct, while the supplier types. */
function checkPrice() {
  const box = $("price-warnings");
  let found = [];
  try {
    const s = buildSummary(formValues(), Number(d.maxPriceFen), t);
    $("items-sum").textContent = s.items ? formatYuan(s.items.reduce((n, i) => n + i.total_fen, 0)) : "—";
    found = warnings(s, t);
  } catch {
    $("items-sum").textContent = "—";
  }
  box.replaceChildren(...found.map((w) => Object.assign(document.createElement("div"), { textContent: w })));
  box.classList.toggle("d-none", found.length === 0);
}

wordsFollow("price", "price-words", "price-words-reset");
wordsFollow("body-price", "body-price-words");
$("item-add").addEventListener("click", () => {
  $("items-table").querySelector("tbody").append(itemRow());
  numberRows();
});

function summary() {
  return buildSummary(formValues(), Number(d.maxPriceFen), t);
}

async function loadPolicy() {
  const response = await fetch(d.policyUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(t("no_policy", "无法获取本标项的托管策略。"));
  return response.json();
}

loadPolicy().then((policy) => {
  mountSealForm(document.getElementById("seal-form"), {
    policy, bidderId: d.bidderId, summary, download: true, messages: t,
    upload: async (blob, _result, { onProgress }) => {
      const body = await upload(blob, onProgress);
      showReceipt(body);
    },
  });
}).catch((err) => show("danger", err.message));

document.getElementById("sealed-upload").addEventListener("click", async () => {
  const input = document.getElementById("sealed-file");
  if (!input.files.length) { show("warning", t("choose_sealed", "请选择 .sealed 文件。")); return; }
  const bar = progress.querySelector(".progress-bar");
  progress.classList.remove("d-none");
  try {
    const body = await upload(input.files[0], (f) => { bar.style.width = `${Math.round(f * 100)}%`; });
    showReceipt(body);
  } catch (err) {
    show("danger", err.message);
  }
});
