// Sign the bidder's answers in this browser (FORMAT.md §14): each form carries the document the server
// expects (data-template, less the answer); we add the answer text (line ends LF, trimmed, as the server
// normalises it) or the confirmation, sign its digest with the unlocked key file, and post the signature
// with the form. The key file and passphrase never leave the page.
import { documentDigest, signDocument, unlockKeyFile } from "/static/js/crypto/index.js";
import { messages } from "/static/js/i18n.js";

const status = document.getElementById("answer-status");
const t = messages(status);
let unlocked = null;

function show(kind, text) {
  status.className = `alert alert-${kind} mt-2 mb-0 small`;
  status.textContent = text;
  status.scrollIntoView({ block: "nearest" });
}

async function signingKey() {
  if (unlocked) return unlocked;
  const file = document.getElementById("answer-key-file").files[0];
  const passphrase = document.getElementById("answer-key-pass").value;
  if (!file || !passphrase) throw new Error(t("need_key", "请先在上方选择签名密钥文件并输入口令。"));
  let keys;
  try {
    keys = await unlockKeyFile(await file.text(), passphrase);
  } catch (err) {
    throw new Error(err.code === "bad_passphrase" ? t("bad_passphrase", "口令不正确。") : t("bad_key", "无法识别的密钥文件。"));
  }
  if (!keys.signing) throw new Error(t("no_signing_key", "该密钥文件没有签名密钥。"));
  unlocked = keys.signing;
  return unlocked;
}

for (const form of document.querySelectorAll("form.js-signed-answer")) {
  form.addEventListener("submit", async (event) => {
    if (form.elements.signature.value) return; // signed: let it go
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const doc = JSON.parse(form.dataset.template);
      if (form.elements.answer) {
        doc.answer = form.elements.answer.value.replace(/\r\n/g, "\n").trim();
        if (!doc.answer) throw new Error(t("need_answer", "请填写答复内容。"));
      } else {
        doc.confirmed = form.elements.confirmed.value === "1";
      }
      show("info", t("signing", "正在本机签署……"));
      form.elements.signature.value = await signDocument(await signingKey(), await documentDigest(doc));
      form.submit();
    } catch (err) {
      show("danger", err.message);
      button.disabled = false;
    }
  });
}
