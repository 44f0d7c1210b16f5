// Make a supplier's or a custodian's keys in this browser (static/js/crypto) and register the
// public halves on the platform (POST /api/v1/keys); the private keys stay in the key file.
// Page text (this script's and the key form's) comes from #keygen-app's data-messages.
import { mountKeygenForm } from "/static/js/crypto/seal-page.js";
import { messages } from "/static/js/i18n.js";

const app = document.getElementById("keygen-app");
const d = app.dataset;
const t = messages(app);
const status = document.getElementById("keygen-status");

function show(kind, text) {
  status.className = `alert alert-${kind} mt-2`;
  status.textContent = text;
}

/** The PEM blocks of a .pub file, in order (a supplier's: signing, then encryption). */
export function pemBlocks(text) {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) || [];
}

async function register(pem, purpose, label) {
  const response = await fetch(d.keysUrl, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf },
    body: JSON.stringify({ pem, purpose, label }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.error && body.error.message) || t("register_failed", "登记失败（%(status)s）", { status: response.status }));
}

mountKeygenForm(document.getElementById("keygen-form"), {
  kind: d.kind, name: d.name, messages: t,
  onGenerated: async ({ publicPem }) => {
    try {
      const blocks = pemBlocks(publicPem);
      const purposes = { supplier: ["sign", "encrypt"], signer: ["sign"] }[d.kind] || ["encrypt"];
      if (blocks.length !== purposes.length) throw new Error(t("bad_public_key", "公钥文件格式不符。"));
      for (const [i, purpose] of purposes.entries()) {
        const label = purpose === "sign" ? t("sign_label", "浏览器生成的签名密钥") : t("encrypt_label", "浏览器生成的加密密钥");
        await register(blocks[i], purpose, label);
      }
      show("success", t("registered", "公钥已登记。请保存好下载的密钥文件（.key）并牢记口令。"));
    } catch (err) {
      show("danger", err.message);
    }
  },
});
