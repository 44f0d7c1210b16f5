// Confirmation before an irreversible action. A form marked data-confirm="what will happen" opens a
// dialog with that text before it is sent; data-confirm-title names the action, and
// data-confirm-reason="<field name>" asks for the reason (required) and puts it into that field of the
// form (a destructive action: 终止项目, 不予受理, 撤换专家). Cancel sends nothing. Words of the buttons
// come from the dialog's data-messages (static/js/i18n.js; Chinese by default).
import { messages } from "/static/js/i18n.js";

const dialog = document.getElementById("confirm-dialog");

function ask(form) {
  const t = messages(dialog);
  const reasonName = form.dataset.confirmReason || "";
  const field = reasonName ? form.querySelector(`[name="${CSS.escape(reasonName)}"]`) : null;
  dialog.querySelector(".js-confirm-title").textContent = form.dataset.confirmTitle || t("title", "请确认");
  dialog.querySelector(".js-confirm-text").textContent = form.dataset.confirm;
  const box = dialog.querySelector(".js-confirm-reason");
  const input = box.querySelector("textarea");
  box.hidden = !field;
  input.required = Boolean(field);
  input.value = field ? field.value : "";
  const error = dialog.querySelector(".js-confirm-error");
  error.textContent = "";
  dialog.showModal();
  (field ? input : dialog.querySelector(".js-confirm-ok")).focus();
  dialog.querySelector(".js-confirm-ok").onclick = () => {
    if (field && !input.value.trim()) {
      error.textContent = t("reason_missing", "请填写理由：它会记入审计日志并告知相关各方。");
      input.focus();
      return;
    }
    if (field) field.value = input.value.trim();
    dialog.close();
    form.dataset.confirmed = "1";
    form.requestSubmit();
  };
  dialog.querySelector(".js-confirm-cancel").onclick = () => dialog.close();
}

if (dialog) {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (form.dataset.confirmed === "1") {
      delete form.dataset.confirmed;
      return; // confirmed: let it go
    }
    event.preventDefault();
    ask(form);
  }, true);
}
