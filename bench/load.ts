// "Other load": CPU time that other processes used while a measurement ran. The bench machines
// are shared; a row taken while someone else's tests ran reads slow, and this says which.
import { readFileSync } from 'node:fs';

/** Busy CPU seconds of the whole machine (Linux /proc/stat; null elsewhere). */
function machineBusySeconds(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (f.reduce((x, y) => x + y, 0) - f[3] - f[4]) / 100; // minus idle and iowait
  } catch {
    return null;
  }
}

/** Runs `fn`; returns its result and the CPU time other processes used meanwhile, in cores. */
export async function otherLoad<T>(fn: () => Promise<T>): Promise<[T, number | null]> {
  const b0 = machineBusySeconds(), c0 = process.cpuUsage(), t0 = performance.now();
  const r = await fn();
  const b1 = machineBusySeconds(), c1 = process.cpuUsage(c0), wall = (performance.now() - t0) / 1000;
  if (b0 === null || b1 === null || wall < 0.05) return [r, null];
  return [r, Math.max(0, (b1 - b0 - (c1.user + c1.system) / 1e6) / wall)];
}
