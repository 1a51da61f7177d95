/** How the dashboard writes amounts and times (one locale, so that screenshots and tests read the same). */
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' });
const count = new Intl.NumberFormat('en-US');
const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export const formatCents = (cents: number): string => money.format(cents / 100);
export const formatCount = (n: number): string => count.format(n);
export const formatTime = (iso: string): string => clock.format(new Date(iso));

export function formatLag(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.round(seconds / 60)} min`;
}
