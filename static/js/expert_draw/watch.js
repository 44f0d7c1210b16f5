// Watch a draw request: refresh its status and the per-specialty counts every 10 seconds.
const holder = document.getElementById("draw-status");

async function refresh() {
  const response = await fetch(holder.dataset.statusUrl, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const data = await response.json();
  holder.querySelector(".js-status-label").textContent = data.status_label;
  const rows = document.querySelectorAll("#seats tbody tr");
  data.seats.forEach((seat, i) => {
    const cells = rows[i]?.querySelectorAll("td");
    if (!cells) return;
    cells[3].textContent = Object.entries(seat.states).map(([k, n]) => `${k} ${n}`).join(" ");
    cells[4].textContent = String(seat.missing);
  });
}

if (holder) setInterval(() => refresh().catch(() => {}), 10000);
