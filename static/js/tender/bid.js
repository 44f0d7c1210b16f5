// Sealed bid submission page: seal in the browser (static/js/crypto) or upload a CLI-sealed file.
// The upload streams the sealed Blob as the raw request body with a progress bar; the server
// answers with the signed receipt.
import { mountSealForm } from "/static/js/crypto/seal-page.js";

const app = document.getElementById("bid-app");
const d = app.dataset;
const result = document.getElementById("bid-result");
const progress = document.getElementById("upload-progress");

/** "950000.5" yuan -> fen as an integer, with no floating point. */
export function yuanToFen(text) {
  const m = /^\s*(\d{1,13})(?:\.(\d{1,2}))?\s*$/.exec(String(text).replace(/[,，]/g, ""));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

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
    xhr.onerror = () => reject(new Error("网络中断，上传未完成，请重试（未完成的上传不会被保存）。"));
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) resolve(body);
      else reject(new Error((body.error && body.error.message) || `上传失败（${xhr.status}）`));
    };
    xhr.send(blob);
  });
}

function receiptText(body) {
  const r = body.receipt;
  return `已递交。回执：摘要 ${r.sha256.slice(0, 16)}…，服务器时间 ${r.received_at}，审计日志序号 ${r.audit_seq}。`;
}

function summary() {
  const price = yuanToFen(document.getElementById("price").value);
  if (price === null) throw Object.assign(new Error("请填写有效的投标报价（元，最多两位小数）。"), { code: "price" });
  if (price > Number(d.maxPriceFen)) throw Object.assign(new Error("投标报价超过最高限价。"), { code: "price" });
  const days = Number.parseInt(document.getElementById("delivery").value, 10);
  const out = { bidder: d.bidderName, lot: d.lot, price_fen: price, remarks: document.getElementById("remarks").value };
  if (Number.isInteger(days) && days >= 0) out.delivery_days = days;
  return out;
}

async function loadPolicy() {
  const response = await fetch(d.policyUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error("无法获取本标项的托管策略。");
  return response.json();
}

loadPolicy().then((policy) => {
  mountSealForm(document.getElementById("seal-form"), {
    policy, bidderId: d.bidderId, summary, download: true,
    upload: async (blob, _result, { onProgress }) => {
      const body = await upload(blob, onProgress);
      show("success", receiptText(body));
      setTimeout(() => { window.location.href = d.projectUrl; }, 2500);
    },
  });
}).catch((err) => show("danger", err.message));

document.getElementById("sealed-upload").addEventListener("click", async () => {
  const input = document.getElementById("sealed-file");
  if (!input.files.length) { show("warning", "请选择 .sealed 文件。"); return; }
  const bar = progress.querySelector(".progress-bar");
  progress.classList.remove("d-none");
  try {
    const body = await upload(input.files[0], (f) => { bar.style.width = `${Math.round(f * 100)}%`; });
    show("success", receiptText(body));
    setTimeout(() => { window.location.href = d.projectUrl; }, 2500);
  } catch (err) {
    show("danger", err.message);
  }
});
