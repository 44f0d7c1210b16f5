// The next timed event on every tender screen: a live countdown to data-next-at (server time).
// The server's clock is the authority: the offset between it and this browser is taken from the
// Date header of the page's own response, so a wrong local clock does not mislead the supplier.
export function serverOffsetMs() {
  const el = document.getElementById("server-clock");
  const at = el && el.dataset.serverNow ? Date.parse(el.dataset.serverNow) : NaN;
  return Number.isNaN(at) ? 0 : at - Date.now();
}

export function formatLeft(ms) {
  if (ms <= 0) return "已到时间";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `还剩 ${d ? `${d} 天 ` : ""}${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}

export function tick(bar, offset = 0) {
  const at = Date.parse(bar.dataset.nextAt || "");
  const out = bar.querySelector(".js-countdown");
  if (!out || Number.isNaN(at)) return;
  out.textContent = formatLeft(at - (Date.now() + offset));
}

const bars = document.querySelectorAll(".by-next-event[data-next-at]");
if (bars.length) {
  const offset = serverOffsetMs();
  const update = () => bars.forEach((bar) => tick(bar, offset));
  update();
  setInterval(update, 1000);
}
