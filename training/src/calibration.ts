/**
 * Temperature scaling (Guo et al., ICML 2017): one scalar T that divides every logit, fitted on held-out
 * rows by minimising their negative log-likelihood. It changes confidences, never the predicted label.
 */

/** Mean negative log-likelihood of `gold` under softmax(logits / t). */
export function meanNll(logits: readonly ArrayLike<number>[], gold: ArrayLike<number>, t: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i]!;
    let m = -Infinity;
    for (let c = 0; c < l.length; c++) m = Math.max(m, l[c]! / t);
    let z = 0;
    for (let c = 0; c < l.length; c++) z += Math.exp(l[c]! / t - m);
    sum += m + Math.log(z) - l[gold[i]!]! / t;
  }
  return logits.length > 0 ? sum / logits.length : 0;
}

/** The temperature in [0.05, 20] with the lowest held-out NLL (golden-section search on log T; the NLL is convex in 1/T). */
export function fitTemperature(logits: readonly ArrayLike<number>[], gold: ArrayLike<number>): number {
  if (logits.length === 0) return 1;
  let a = Math.log(0.05);
  let b = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = meanNll(logits, gold, Math.exp(c));
  let fd = meanNll(logits, gold, Math.exp(d));
  for (let i = 0; i < 60; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = meanNll(logits, gold, Math.exp(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = meanNll(logits, gold, Math.exp(d));
    }
  }
  return Math.exp((a + b) / 2);
}
