// The header clock and the next-deadline bar, ticking from the server's time (the only authority on
// deadlines). The offset between the server and this browser is measured at load (GET /time.json, the
// middle of the round trip) and measured again whenever the connection comes back: the `online` event,
// the tab becoming visible again, a Socket.IO reconnect (messages.js sends `by:reconnect`), and every
// ten minutes. When the bar's deadline passes, the bar asks the server for the next one.
// Words come from data-messages (static/js/i18n.js; Chinese by default).
import { messages } from "/static/js/i18n.js";

const clock = document.getElementById("server-clock");
const bar = document.getElementById("deadline-bar");
let offset = (() => {
  const at = clock && clock.dataset.serverNow ? Date.parse(clock.dataset.serverNow) : NaN;
  return Number.isNaN(at) ? 0 : at - Date.now();
})();

/** Milliseconds to add to Date.now() for the server's time. */
export function serverOffsetMs() {
  return offset;
}

export function serverNow() {
  return Date.now() + offset;
}

const beijing = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

/** "2026-12-01 21:16:05" in Beijing time. */
export function formatBeijing(ms) {
  const p = Object.fromEntries(beijing.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** "还剩 1 天 02:03:04", or the page's words through t. */
export function formatLeft(ms, t) {
  if (ms <= 0) return t("due", "已到时间");
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60]
    .map((n) => String(n).padStart(2, "0")).join(":");
  return d ? t("left_days", "还剩 %(days)s 天 %(time)s", { days: d, time: hms }) : t("left", "还剩 %(time)s", { time: hms });
}

export async function measure() {
  try {
    const sent = Date.now();
    const response = await fetch("/time.json", { cache: "no-store", credentials: "same-origin" });
    const received = Date.now();
    const body = await response.json();
    if (typeof body.ms === "number") {
      offset = body.ms - (sent + received) / 2;
      if (clock) clock.dataset.offsetMs = String(Math.round(offset));
    }
  } catch {
    // offline: keep the last offset; the next `online` event measures again
  }
}

let refreshing = false;
async function nextDeadline(t) {
  if (!bar || refreshing) return;
  refreshing = true;
  try {
    const response = await fetch("/next-deadline.json", { cache: "no-store", credentials: "same-origin" });
    const body = response.ok ? await response.json() : {};
    const passed = Date.parse(bar.dataset.at || "");
    if (body.at && Date.parse(body.at) > serverNow()) {
      bar.dataset.at = body.at;
      bar.querySelector(".js-deadline-label").textContent = body.label;
      bar.querySelector(".js-deadline-at").textContent = formatBeijing(Date.parse(body.at)).slice(0, 16);
      bar.querySelector(".js-deadline-left").textContent = formatLeft(Date.parse(body.at) - serverNow(), t);
    } else if (!body.at) {
      bar.dataset.at = "";
      bar.querySelector(".js-deadline-label").textContent = t("none", "暂无");
      bar.querySelector(".js-deadline-at").textContent = "";
      bar.querySelector(".js-deadline-left").textContent = "";
    } else if (Date.parse(body.at) <= passed) {
      setTimeout(() => { refreshing = false; nextDeadline(t); }, 5000); // the sweep has not moved it yet
      return;
    }
  } catch {
    setTimeout(() => { refreshing = false; nextDeadline(t); }, 5000);
    return;
  }
  refreshing = false;
}

function tick(clockT, barT) {
  const now = serverNow();
  if (clock) clock.querySelector(".js-clock").textContent = formatBeijing(now);
  if (bar && bar.dataset.at) {
    const left = Date.parse(bar.dataset.at) - now;
    bar.querySelector(".js-deadline-left").textContent = formatLeft(left, barT);
    if (left <= 0) nextDeadline(barT);
  }
}

if (clock) {
  const clockT = messages(clock);
  const barT = messages(bar);
  tick(clockT, barT);
  setInterval(() => tick(clockT, barT), 1000);
  measure().then(() => tick(clockT, barT));
  window.addEventListener("online", measure);
  window.addEventListener("by:reconnect", measure);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) measure(); });
  setInterval(measure, 10 * 60 * 1000);
}
