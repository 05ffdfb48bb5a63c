/* Small wrappers over ECharts so every page draws charts the same way. */
window.gonghuiCharts = (function () {
  const palette = ['#c8102e', '#f28e2b', '#4e79a7', '#59a14f', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];
  function init(id) {
    const el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    const chart = echarts.init(el);
    window.addEventListener('resize', () => chart.resize());
    return chart;
  }
  return {
    bar(id, rows, opts) {
      const chart = init(id); if (!chart) return;
      chart.setOption(Object.assign({
        color: palette, tooltip: { trigger: 'axis' }, grid: { left: 10, right: 10, bottom: 10, top: 20, containLabel: true },
        xAxis: { type: 'category', data: rows.map(r => r.name), axisLabel: { rotate: 30, interval: 0 } },
        yAxis: { type: 'value' }, series: [{ type: 'bar', data: rows.map(r => r.value) }],
      }, opts || {}));
      return chart;
    },
    line(id, categories, series) {
      const chart = init(id); if (!chart) return;
      chart.setOption({ color: palette, tooltip: { trigger: 'axis' }, legend: {}, grid: { left: 10, right: 10, bottom: 10, top: 40, containLabel: true },
        xAxis: { type: 'category', data: categories }, yAxis: { type: 'value' },
        series: series.map(s => ({ type: 'line', smooth: true, name: s.name, data: s.data })) });
      return chart;
    },
    pie(id, rows) {
      const chart = init(id); if (!chart) return;
      chart.setOption({ color: palette, tooltip: { trigger: 'item' },
        series: [{ type: 'pie', radius: ['35%', '65%'], data: rows }] });
      return chart;
    },
  };
})();
