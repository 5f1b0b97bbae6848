/** A symbol and colour per label, so colour is never the only signal. */
export function labelStyle(label: string): { symbol: string; color: string } {
  const l = label.toLowerCase();
  if (/pos|good|happy|joy/.test(l)) return { symbol: '▲', color: '#1b7f3b' };
  if (/neg|bad|sad|anger/.test(l)) return { symbol: '▼', color: '#b3261e' };
  if (/neu|mixed/.test(l)) return { symbol: '●', color: '#5f6b7a' };
  return { symbol: '◆', color: '#3559b5' };
}
