// The next timed event on every tender screen: a live countdown to data-next-at (server time).
// The server's clock is the authority: the offset between it and this browser is the one the header
// clock measures (static/js/clock.js), so a wrong local clock does not mislead the supplier.
// The words come from the bar's data-messages (static/js/i18n.js; Chinese by default).
import { serverOffsetMs } from "/static/js/clock.js";
import { messages } from "/static/js/i18n.js";

const chinese = messages(null);

export { serverOffsetMs };

/** "还剩 1 天 02:03:04" (or the page's words through t, a translator from static/js/i18n.js). */
export function formatLeft(ms, t = chinese) {
  if (ms <= 0) return t("due", "已到时间");
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const time = `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  return d ? t("left_days", "还剩 %(days)s 天 %(time)s", { days: d, time }) : t("left", "还剩 %(time)s", { time });
}

export function tick(bar, offset = 0, t = messages(bar)) {
  const at = Date.parse(bar.dataset.nextAt || "");
  const out = bar.querySelector(".js-countdown");
  if (!out || Number.isNaN(at)) return;
  out.textContent = formatLeft(at - (Date.now() + offset), t);
}

const bars = [...document.querySelectorAll(".by-next-event[data-next-at]")].map((bar) => [bar, messages(bar)]);
if (bars.length) {
  const update = () => bars.forEach(([bar, t]) => tick(bar, serverOffsetMs(), t));
  update();
  setInterval(update, 1000);
}
