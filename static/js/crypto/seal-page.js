/**
 * Ready-made page widgets for sealed bids (Bootstrap 5 markup, no inline script or style).
 *
 *   import { mountSealForm, mountKeygenForm, mountShareUnwrap } from "/static/js/crypto/seal-page.js";
 *
 * mountSealForm(root, options) — the supplier seals its bid in the browser:
 *   root     an element of the page (e.g. <div id="seal-form" data-...>); its content is replaced
 *   options.policy     the lot's custody policy object (e.g. JSON.parse(root.dataset.policy))
 *   options.bidderId   the supplier's id on the platform
 *   options.summary    opening summary object, or a function () => object called at sealing time
 *                      (e.g. read from the page's price fields; integers only, price in fen)
 *   options.fileName   name of the download (default "<tender_id>-<lot>-<bidderId>.sealed")
 *   options.upload     optional async (blob, result, {onProgress}) => void: hand the sealed file
 *                      to the server instead of (or after) offering the download
 *   options.download   offer the download link (default true when no upload, else false)
 *   options.pickerThreshold  when the bid files total more than this many bytes (default 256 MiB)
 *                      and the browser has the File System Access API (Chrome, Edge, 360, QQ…),
 *                      the sealed file is streamed straight to a file the supplier picks, so a
 *                      1 GiB bid never sits in memory; 0 = always, Infinity = never. Without
 *                      an upload callback only; an aborted sealing leaves no partial file.
 *   options.chunkSize, options.concurrency   passed to seal()
 *   options.onSealed   optional (result) => void; result as from seal() plus {fileName}
 *   Returns {element, seal(): Promise<result>}. Errors are shown in the form (in the page's
 *   language, see options.messages) and re-thrown from seal().
 *
 * mountKeygenForm(root, {kind, onGenerated, iterations, name, minLength = 12, messages}) — make keys on this device:
 *   kind "supplier" or "custodian"; offers NAME.key and NAME.pub downloads and calls
 *   onGenerated({publicKeys, publicPem, keyFile}) so the page can register the public keys.
 *
 * mountShareUnwrap(root, {bids, onShare, messages}) — a custodian unwraps its shares in the browser:
 *   bids     array of {id, label, header: Blob | () => Promise<Blob>} (the container or just its
 *            first bytes: the header is enough)
 *   onShare  async (bid, share) => void, e.g. POST the share to the server
 *   The private key never leaves the page; only the share objects are handed to onShare.
 *
 * options.messages (all three): the widgets' text in the page's language, either an object
 *   {key: text} or a translator t(key, chineseText, values) such as static/js/i18n.js makes from a
 *   data-messages attribute; keys and the Chinese defaults are in TEXTS below, %(name)s placeholders
 *   are filled in. Missing keys fall back to Chinese.
 *
 * Elements carry stable ids/classes for tests: .js-files, .js-keyfile, .js-passphrase,
 * .js-seal, .progress-bar, .js-result, .js-error, .js-download.
 */

import { seal, shareFileText, unwrapShare } from "./index.js";
import { generateKeyFile, unlockKeyFile } from "./keyfile.js";

/** The widgets' text, Chinese: first the error codes a user can cause, then labels and progress. */
export const TEXTS = {
  bad_passphrase: "口令错误（或密钥文件已损坏）。",
  bad_key_file: "不是有效的密钥文件，请选择标云生成的 .key 文件。",
  wrong_key: "该密钥不是此投标文件的接收方。",
  stanza_invalid: "投标文件中的密钥份额无法解开（投标人责任）。",
  payload_invalid: "投标文件内容无效（文件名、大小或开标一览表不符合要求）。",
  policy_mismatch: "密钥保管策略无效或不匹配。",
  no_files: "请选择至少一个投标文件。",
  no_key: "请选择密钥文件并输入口令。",
  not_supplier: "该密钥文件不是供应商密钥（需要签名密钥和加密密钥）。",
  mismatch: "两次输入的口令不一致。",
  short: "口令至少 %(n)s 个字符。",
  failed: "操作失败：%(reason)s",
  cancelled: "已取消。",
  key_file: "密钥文件（.key）",
  passphrase: "口令",
  seal: "加密并签名",
  bid_files: "投标文件",
  bid_files_hint: "文件只在本机加密，明文不会上传。",
  sealed_file_type: "标云加密投标文件",
  unlocking: "正在解锁密钥…",
  uploading: "正在上传…",
  upload_progress: "上传 %(percent)s",
  done: "完成",
  sealed: "已加密签名：%(size)s，摘要（SHA-256）：",
  download_sealed: "下载加密投标文件",
  saved_as: "已保存为 %(name)s",
  new_passphrase: "设置口令",
  repeat_passphrase: "再次输入口令",
  keygen_hint: "私钥只保存在您下载的密钥文件中，平台无法恢复，请妥善备份并牢记口令。",
  generate: "在本机生成密钥",
  download_key: "下载密钥文件（.key）",
  download_public: "下载公钥（.pub）",
  unwrap: "解开我的密钥份额",
  bid_item: "%(label)s：",
  share_done: "已解开并提交",
};

/** The error codes with a text of their own; any other error reads "操作失败：<its message>". */
const ERROR_CODES = new Set(["bad_passphrase", "bad_key_file", "wrong_key", "stanza_invalid", "payload_invalid",
  "policy_mismatch", "no_files", "no_key", "not_supplier", "mismatch", "short"]);

function fill(text, values = {}) {
  return text.replace(/%\((\w+)\)s/g, (all, name) => (name in values ? String(values[name]) : all));
}

/** say(key, values): the text for `key` from options.messages (object or translator), else TEXTS. */
function speaker(messages) {
  if (typeof messages === "function") return (key, values = {}) => messages(key, TEXTS[key], values);
  const table = messages || {};
  return (key, values = {}) => fill(table[key] || TEXTS[key], values);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (v !== false && v !== undefined && v !== null) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function messageOf(err, say, values = {}) {
  if (err && err.name === "AbortError") return say("cancelled");
  if (err && ERROR_CODES.has(err.code)) return say(err.code, values);
  return say("failed", { reason: err && err.message ? err.message : err });
}

function progressBar() {
  const bar = el("div", {
    class: "progress-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0",
  });
  const wrap = el("div", { class: "progress my-2 d-none", role: "presentation" }, bar);
  return {
    wrap,
    set(fraction, label) {
      const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
      wrap.classList.remove("d-none");
      bar.style.width = `${pct}%`; // CSSOM, allowed by a strict style-src
      bar.setAttribute("aria-valuenow", String(pct));
      bar.textContent = label || `${pct}%`;
    },
  };
}

function formatBytes(n) {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function downloadLink(blob, fileName, label) {
  const url = URL.createObjectURL(blob);
  return el("a", { class: "btn btn-outline-primary btn-sm me-2 js-download", href: url, download: fileName, text: label });
}

function keyFields(idPrefix, say) {
  const keyInput = el("input", { class: "form-control js-keyfile", type: "file", id: `${idPrefix}-keyfile`, accept: ".key,application/json" });
  const pass = el("input", { class: "form-control js-passphrase", type: "password", id: `${idPrefix}-passphrase`, autocomplete: "off" });
  const block = el("div", { class: "row g-2 mb-2" },
    el("div", { class: "col-md-6" }, el("label", { class: "form-label", for: keyInput.id, text: say("key_file") }), keyInput),
    el("div", { class: "col-md-6" }, el("label", { class: "form-label", for: pass.id, text: say("passphrase") }), pass));
  return { block, keyInput, pass };
}

/** Mount the supplier's sealing form in `root`. See the module comment. */
export function mountSealForm(root, options) {
  const { policy, bidderId } = options;
  const say = speaker(options.messages);
  const id = root.id || "seal";
  const files = el("input", { class: "form-control js-files", type: "file", id: `${id}-files`, multiple: true });
  const key = keyFields(id, say);
  const button = el("button", { class: "btn btn-primary js-seal", type: "submit", text: say("seal") });
  const bar = progressBar();
  const error = el("div", { class: "alert alert-danger d-none js-error", role: "alert" });
  const result = el("div", { class: "js-result" });
  const form = el("form", { class: "biaoyun-seal-form", novalidate: true },
    el("div", { class: "mb-2" }, el("label", { class: "form-label", for: files.id, text: say("bid_files") }), files,
      el("div", { class: "form-text", text: say("bid_files_hint") })),
    key.block, button, bar.wrap, error, result);
  root.replaceChildren(form);

  const showError = (err) => {
    error.textContent = messageOf(err, say);
    error.classList.remove("d-none");
  };

  const fileNameOf = () => options.fileName
    || `${policy.tender_id}-${policy.lot}-${bidderId}.sealed`.replace(/[/\\:*?"<>|]/g, "_");

  async function pickTarget() {
    const total = [...files.files].reduce((n, f) => n + f.size, 0);
    const threshold = options.pickerThreshold ?? 256 * 1024 * 1024;
    if (options.upload || typeof window.showSaveFilePicker !== "function" || total <= threshold) return null;
    const handle = await window.showSaveFilePicker({
      suggestedName: fileNameOf(), types: [{ description: say("sealed_file_type"), accept: { "application/octet-stream": [".sealed"] } }],
    });
    return handle.createWritable();
  }

  async function run() {
    error.classList.add("d-none");
    result.replaceChildren();
    if (!files.files.length) throw Object.assign(new Error("no files"), { code: "no_files" });
    if (!key.keyInput.files.length || !key.pass.value) throw Object.assign(new Error("no key"), { code: "no_key" });
    button.disabled = true;
    let target = null;
    try {
      target = await pickTarget(); // first, while the click still counts as a user gesture
      bar.set(0, say("unlocking"));
      const keys = await unlockKeyFile(key.keyInput.files[0], key.pass.value);
      if (!keys.signing) throw Object.assign(new Error("not a supplier key"), { code: "not_supplier" });
      const summary = typeof options.summary === "function" ? await options.summary() : options.summary || {};
      const sealed = await seal({
        policy, bidderId, summary, files: [...files.files], signingKey: keys.signing, encryptionKey: keys.encryption,
        chunkSize: options.chunkSize, concurrency: options.concurrency,
        writer: target ? { write: (bytes) => target.write(bytes) } : undefined,
        onProgress: (p) => bar.set(p.total ? p.done / p.total : 1,
          `${formatBytes(p.done)} / ${formatBytes(p.total)}`),
      });
      if (target) {
        await target.close();
        target = null;
      }
      const fileName = fileNameOf();
      const out = { ...sealed, fileName, savedToDisk: !sealed.blob };
      const wantDownload = (options.download ?? !options.upload) && sealed.blob;
      if (options.upload) {
        bar.set(0, say("uploading"));
        await options.upload(sealed.blob, out, {
          onProgress: (f) => bar.set(f, say("upload_progress", { percent: `${Math.round(f * 100)}%` })),
        });
      }
      bar.set(1, say("done"));
      result.append(
        el("p", { class: "mb-1", text: say("sealed", { size: formatBytes(sealed.size) }) }),
        el("code", { class: "d-block mb-2 text-break js-digest", text: sealed.sha256 }),
      );
      if (wantDownload) result.append(downloadLink(sealed.blob, fileName, say("download_sealed")));
      if (out.savedToDisk) result.append(el("p", { class: "text-success js-saved", text: say("saved_as", { name: fileName }) }));
      if (options.onSealed) options.onSealed(out);
      return out;
    } finally {
      if (target) await target.abort().catch(() => {}); // failed: no partial .sealed file is left
      button.disabled = false;
    }
  }

  const api = {
    element: form,
    async seal() {
      try {
        return await run();
      } catch (err) {
        showError(err);
        throw err;
      }
    },
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    api.seal().catch(() => {});
  });
  return api;
}

/** Mount a key generation form (keys are made on this device). See the module comment. */
export function mountKeygenForm(root, { kind = "supplier", onGenerated, iterations, name, minLength = 12, messages } = {}) {
  const say = speaker(messages);
  const id = root.id || "keygen";
  const pass = el("input", { class: "form-control js-passphrase", type: "password", id: `${id}-pass`, autocomplete: "new-password" });
  const again = el("input", { class: "form-control js-passphrase2", type: "password", id: `${id}-pass2`, autocomplete: "new-password" });
  const button = el("button", { class: "btn btn-primary js-generate", type: "submit", text: say("generate") });
  const error = el("div", { class: "alert alert-danger d-none js-error", role: "alert" });
  const result = el("div", { class: "js-result" });
  const form = el("form", { class: "biaoyun-keygen-form", novalidate: true },
    el("div", { class: "row g-2 mb-2" },
      el("div", { class: "col-md-6" }, el("label", { class: "form-label", for: pass.id, text: say("new_passphrase") }), pass),
      el("div", { class: "col-md-6" }, el("label", { class: "form-label", for: again.id, text: say("repeat_passphrase") }), again)),
    el("div", { class: "form-text mb-2", text: say("keygen_hint") }),
    button, error, result);
  root.replaceChildren(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.classList.add("d-none");
    result.replaceChildren();
    try {
      if (pass.value !== again.value) throw Object.assign(new Error("mismatch"), { code: "mismatch" });
      if ([...pass.value].length < minLength) throw Object.assign(new Error("short"), { code: "short" });
      button.disabled = true;
      const made = await generateKeyFile(kind, pass.value, iterations ? { iterations } : {});
      const base = name || (kind === "supplier" ? "supplier" : "custodian");
      result.append(
        downloadLink(new Blob([made.keyFile], { type: "application/json" }), `${base}.key`, say("download_key")),
        downloadLink(new Blob([made.publicPem], { type: "application/x-pem-file" }), `${base}.pub`, say("download_public")),
      );
      if (onGenerated) await onGenerated(made);
    } catch (err) {
      error.textContent = messageOf(err, say, { n: minLength });
      error.classList.remove("d-none");
    } finally {
      button.disabled = false;
    }
  });
  return { element: form };
}

/** Mount the custodian's share unwrapping form. See the module comment. */
export function mountShareUnwrap(root, { bids, onShare, messages }) {
  const say = speaker(messages);
  const id = root.id || "shares";
  const key = keyFields(id, say);
  const button = el("button", { class: "btn btn-primary js-unwrap", type: "submit", text: say("unwrap") });
  const bar = progressBar();
  const error = el("div", { class: "alert alert-danger d-none js-error", role: "alert" });
  const list = el("ul", { class: "list-group my-2 js-result" });
  const form = el("form", { class: "biaoyun-share-form", novalidate: true }, key.block, button, bar.wrap, error, list);
  root.replaceChildren(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.classList.add("d-none");
    list.replaceChildren();
    button.disabled = true;
    try {
      if (!key.keyInput.files.length || !key.pass.value) throw Object.assign(new Error("no key"), { code: "no_key" });
      const keys = await unlockKeyFile(key.keyInput.files[0], key.pass.value);
      let done = 0;
      for (const bid of bids) {
        const item = el("li", { class: "list-group-item", "data-bid": bid.id, text: say("bid_item", { label: bid.label || bid.id }) });
        list.append(item);
        try {
          const header = typeof bid.header === "function" ? await bid.header() : bid.header;
          const share = await unwrapShare(header, keys);
          if (onShare) await onShare(bid, share, shareFileText(share));
          item.append(el("span", { class: "badge text-bg-success", text: say("share_done") }));
        } catch (err) {
          item.append(el("span", { class: "badge text-bg-danger", text: messageOf(err, say) }));
        }
        done += 1;
        bar.set(done / bids.length, `${done} / ${bids.length}`);
      }
    } catch (err) {
      error.textContent = messageOf(err, say);
      error.classList.remove("d-none");
    } finally {
      button.disabled = false;
    }
  });
  return { element: form };
}
