// Sign a contract in this browser (FORMAT.md §14): fetch the canonical text, recompute its SHA-256,
// check it is the digest the page shows, unlock the user's key file locally and sign; only the
// signature goes to the server. The server checks it against the user's registered signing key.
import { documentDigest, signDocument, toHex, unlockKeyFile } from "/static/js/crypto/index.js";
import { messages } from "/static/js/i18n.js";

const root = document.getElementById("contract-sign");
const d = root.dataset;
const t = messages(root);
const status = document.getElementById("sign-status");
const progress = document.getElementById("sign-progress");
const button = document.getElementById("sign-button");

function show(kind, text) {
  status.className = `alert alert-${kind} mt-2 small`;
  status.textContent = text;
}

async function sign() {
  const file = document.getElementById("sign-key").files[0];
  const passphrase = document.getElementById("sign-pass").value;
  if (!file || !passphrase) throw new Error(t("need_key", "请选择签名密钥文件并输入口令。"));
  const response = await fetch(d.documentUrl, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(t("no_text", "无法读取合同文本（%(status)s）。", { status: response.status }));
  const digest = await documentDigest(JSON.parse(await response.text()));
  if (toHex(digest) !== d.sha256) throw new Error(t("text_changed", "合同文本已更新，请刷新页面重新核对。"));
  let keys;
  try {
    keys = await unlockKeyFile(await file.text(), passphrase);
  } catch (err) {
    throw new Error(err.code === "bad_passphrase" ? t("bad_passphrase", "口令不正确。") : t("bad_key", "无法识别的密钥文件。"));
  }
  if (!keys.signing) throw new Error(t("no_signing_key", "该密钥文件没有签名密钥（保管人密钥只能解密）。"));
  const signature = await signDocument(keys.signing, digest);
  const posted = await fetch(d.signUrl, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf },
    body: JSON.stringify({ sha256: d.sha256, signature }),
  });
  const body = await posted.json().catch(() => ({}));
  if (!posted.ok) throw new Error((body.error && body.error.message) || t("sign_failed", "签署失败（%(status)s）。", { status: posted.status }));
  return body;
}

button.addEventListener("click", async () => {
  button.disabled = true;
  progress.classList.remove("d-none");
  show("info", t("signing", "正在本机解锁密钥并签署……"));
  try {
    const body = await sign();
    show("success", body.status === "signed" ? t("both_signed", "签署完成，双方均已签署，合同公告已发布。")
      : t("signed", "签署完成，等待对方签署。"));
    setTimeout(() => window.location.reload(), 1200);
  } catch (err) {
    show("danger", err.message);
    button.disabled = false;
  } finally {
    progress.classList.add("d-none");
  }
});
