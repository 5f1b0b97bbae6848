/**
 * A symbol and colour per label, so colour is never the only signal. `color` is a fixed hex (for canvases and
 * charts); `css` is the same colour as a CSS variable that follows the light/dark theme (app.css).
 */
export function labelStyle(label: string): { symbol: string; color: string; css: string } {
  const l = label.toLowerCase();
  if (/pos|good|happy|joy/.test(l)) return { symbol: '▲', color: '#1b7f3b', css: 'var(--label-positive)' };
  if (/neg|bad|sad|anger/.test(l)) return { symbol: '▼', color: '#b3261e', css: 'var(--label-negative)' };
  if (/neu|mixed/.test(l)) return { symbol: '●', color: '#5f6b7a', css: 'var(--label-neutral)' };
  return { symbol: '◆', color: '#3559b5', css: 'var(--label-other)' };
}
