import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { BarSeries } from './view/reports.js';

const COLORS = ['#1f5fa8', '#c05a00', '#2e7d32', '#8e24aa'];

/**
 * A bar chart of one report (uPlot draws on a canvas, so labels never become markup). Clicking a
 * bar that stands for a grant opens that grant's page; the table under it has the same links.
 */
const Chart = ({ title, data }: { title: string; data: BarSeries }) => {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const xs = data.labels.map((_, i) => i);
    const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
    const plot = new uPlot(
      {
        title,
        width: Math.max(320, Math.min(900, element.clientWidth || 640)),
        height: 240,
        scales: { x: { time: false } },
        axes: [{ values: (_u, ticks) => ticks.map((t) => (data.labels[t] ?? '').slice(-10)) }, {}],
        series: [
          {},
          ...data.series.map((s, i) => ({
            label: s.name,
            stroke: COLORS[i % COLORS.length],
            fill: `${COLORS[i % COLORS.length]}55`,
            ...(bars ? { paths: bars } : {}),
          })),
        ],
        hooks: {
          ready: [
            (u: uPlot) => {
              u.over.addEventListener('click', () => {
                const index = u.cursor.idx;
                const grant = index === null || index === undefined ? undefined : data.grants[index];
                if (grant) window.location.hash = `#/grant/${grant}`;
              });
            },
          ],
        },
      },
      [xs, ...data.series.map((s) => s.values.map((v) => v ?? null))] as uPlot.AlignedData,
      element
    );
    return () => plot.destroy();
  }, [title, data]);
  return (
    <div
      ref={host}
      class="chart"
      role="img"
      aria-label={`${title}: ${data.series.map((s) => s.name).join(', ')} per ${data.labels.length} entries`}
    />
  );
};

export { Chart };
