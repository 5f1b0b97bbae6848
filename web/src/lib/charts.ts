/**
 * Chart.js, registered with only what the dashboard draws (bar charts on category/linear scales, with
 * legend and tooltips), so tree-shaking keeps the chunk small. Imported only by the lazily loaded dashboard.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartConfiguration } from 'chart.js';
import { labelStyle } from './labels.ts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface BarSeries {
  label: string;
  /** null: no value there (a gap; the table shows "—"). */
  data: (number | null)[];
  color?: string;
}

export interface BarSpec {
  x: string[];
  series: BarSeries[];
  stacked?: boolean;
  /** y axis maximum (e.g. 1 for rates). */
  yMax?: number;
  /** Decimals of the y ticks when there is no yMax (default 0: counts). */
  yDecimals?: number;
  yTitle?: string;
}

/** A label's colour (labels.ts), or a fixed palette for series that are not labels. */
export function seriesColor(name: string, i: number): string {
  const s = labelStyle(name);
  if (s.symbol !== '◆') return s.color;
  return ['#3559b5', '#8a4fb3', '#b36b00', '#00797a'][i % 4]!;
}

function config(spec: BarSpec): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: spec.x,
      datasets: spec.series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: s.color ?? seriesColor(s.label, i), borderWidth: 0 })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: spec.series.length > 1, position: 'bottom' } },
      scales: {
        x: { stacked: spec.stacked ?? false, ticks: { maxRotation: 0, autoSkip: true } },
        y: {
          stacked: spec.stacked ?? false,
          beginAtZero: true,
          ...(spec.yMax !== undefined ? { max: spec.yMax } : { ticks: { precision: spec.yDecimals ?? 0 } }),
          ...(spec.yTitle ? { title: { display: true, text: spec.yTitle } } : {}),
        },
      },
    },
  };
}

export function barChart(canvas: HTMLCanvasElement, spec: BarSpec): Chart<'bar'> {
  return new Chart(canvas, config(spec));
}

/** Replaces a chart's data and options in place (no new canvas). */
export function updateBarChart(chart: Chart<'bar'>, spec: BarSpec): void {
  const c = config(spec);
  chart.data = c.data;
  chart.options = c.options!;
  chart.update();
}

export type { Chart };
