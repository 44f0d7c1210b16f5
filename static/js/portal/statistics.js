// The statistics page's charts (ECharts from npm, /vendor/echarts): each chart draws the table under it,
// from the figures in its data-chart attribute. Canvas rendering and plain-text tooltips, so nothing
// needs an inline style the strict CSP would refuse.
const script = document.getElementById("statistics-script");
const echarts = await import(script.dataset.echarts);

const tenThousandYuan = (fen) => Math.round(fen / 10000) / 100;  // fen -> 万元, two decimals

function option(data) {
  const line = data.kind === "line";
  return {
    animation: false,
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 0 },
    grid: { left: 60, right: 50, top: 36, bottom: 60 },
    xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
    yAxis: [{ type: "value", name: data.names.amount }, { type: "value", name: data.names.count, minInterval: 1 }],
    series: [
      { name: data.names.amount, type: line ? "line" : "bar", data: data.amount.map(tenThousandYuan) },
      { name: data.names.sme, type: line ? "line" : "bar", data: data.sme.map(tenThousandYuan) },
      { name: data.names.count, type: "line", yAxisIndex: 1, data: data.count },
    ],
  };
}

const charts = [];
for (const element of document.querySelectorAll(".by-chart[data-chart]")) {
  const chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption(option(JSON.parse(element.dataset.chart)));
  element.dataset.drawn = "1";
  charts.push(chart);
}
window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
