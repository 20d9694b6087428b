import { readFileSync } from 'node:fs';

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function boxTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

/** Measures how busy the whole box was between `start()` and the returned function's call, in percent of all cores. */
export function boxUsage(): () => number {
  const before = boxTicks();
  return () => {
    const after = boxTicks();
    const total = after.total - before.total;
    return total > 0 ? Math.round(((after.busy - before.busy) / total) * 1000) / 10 : 0;
  };
}
