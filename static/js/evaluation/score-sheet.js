// The expert's score sheet: every value typed is kept as a draft in this browser (localStorage, keyed by
// room and member), so a dropped connection, a refresh, the room's reload at a stage change or an error
// answered by the server loses nothing; each box is checked as it is typed (two decimals, the criterion's
// range from the tender document) with a message naming the bidder and the criterion. Scores stay on the
// expert's own device until submitted: nothing is sent before "确认提交评分". When the sheet is gone from
// the page (submitted), the draft is deleted.
import { messages } from "/static/js/i18n.js";

const form = document.getElementById("score-sheet");
const SCORE = /^\d+(\.\d{1,2})?$/;

export function problem(input, t) {
  const value = input.value.trim();
  if (value === "") return "";
  const { bidder, criterion, min, max } = input.dataset;
  if (!SCORE.test(value)) return t("format", "%(bidder)s·“%(criterion)s”：请填写不超过两位小数的分数。", { bidder, criterion });
  const n = Number(value);
  if (n < Number(min) || n > Number(max)) {
    return t("range", "%(bidder)s·“%(criterion)s”：应在 %(min)s–%(max)s 分之间。", { bidder, criterion, min, max });
  }
  return "";
}

function check(input, t) {
  const text = problem(input, t);
  input.setCustomValidity(text);
  input.classList.toggle("is-invalid", Boolean(text));
  const feedback = input.parentElement.querySelector(".invalid-feedback");
  if (feedback) feedback.textContent = text;
  return !text;
}

if (form) {
  const t = messages(form);
  const key = form.dataset.draftKey;
  const state = document.getElementById("score-draft-state");
  const inputs = [...form.querySelectorAll("input.js-score")];
  let draft = {};
  try {
    draft = JSON.parse(localStorage.getItem(key) || "{}");
  } catch {
    draft = {};
  }
  let restored = false;
  for (const input of inputs) {
    if (!input.value && typeof draft[input.name] === "string" && draft[input.name] !== "") {
      input.value = draft[input.name];
      restored = true;
    }
    if (input.value) check(input, t);
    input.addEventListener("input", () => {
      check(input, t);
      draft[input.name] = input.value;
      localStorage.setItem(key, JSON.stringify(draft));
      const now = new Date();
      state.textContent = t("saved", "草稿已保存在本机（%(time)s），断线或刷新不会丢失。",
        { time: now.toTimeString().slice(0, 8) });
    });
  }
  if (restored) state.textContent = t("restored", "已恢复本机保存的评分草稿。");
  form.addEventListener("submit", (event) => {
    const bad = inputs.filter((input) => !check(input, t));
    if (bad.length) {
      event.preventDefault();
      bad[0].focus();
      bad[0].reportValidity();
    }
  });
} else {
  // No sheet on this page: the scores were submitted (or the stage moved on); drop this room's drafts.
  const room = document.querySelector("[data-committee-id]");
  const id = room ? room.dataset.committeeId : null;
  if (id) {
    Object.keys(localStorage).filter((k) => k.startsWith(`score-draft:${id}:`)).forEach((k) => localStorage.removeItem(k));
  }
}
