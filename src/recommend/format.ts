/** `4000` -> `4,000`: the way every count in a reason line is shown. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/**
 * How much cheaper `projected` is than `current`, as a person would say it: `94%`.
 * Rounded down so a 99.6% saving never reads as "100% less", and a sliver shows as `<1%`.
 *
 * @example
 * percentLess(1, 0.06) // '94%'
 */
export function percentLess(current: number, projected: number): string {
  if (current <= 0) return '0%'
  // the epsilon keeps float noise (93.99999…) from rounding a whole percentage down
  const pct = Math.floor(((current - projected) / current) * 100 + 1e-9)
  return pct < 1 ? '<1%' : `${pct}%`
}
