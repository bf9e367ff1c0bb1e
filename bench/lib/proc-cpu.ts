import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * CPU accounting from /proc (Linux): per-process CPU time, and how much CPU the rest of the
 * machine used. On a shared 2-core box other work (a test suite, a build) lands in every
 * figure; the benchmark waits for quiet before each timed run and records what it saw.
 * Where /proc is missing these return undefined and the figures are simply left out.
 */

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU time (user + system, ms) a process has used so far. */
export function processCpuMs(pid: number): number | undefined {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return undefined;
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
}

/** Busy CPU time (ms, all cores) of the whole machine so far: everything but idle, iowait and steal. */
function machineBusyMs(): number | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).map(Number);
  return ((user! + nice! + system! + irq! + softirq!) * 1000) / clockTicks();
}

export interface CpuSnapshot {
  atMs: number;
  machineBusyMs?: number;
  ownMs?: number;
}

/** `own` = this process plus the given child pids. */
export function snapshot(childPids: number[]): CpuSnapshot {
  const machine = machineBusyMs();
  const children = childPids.map(processCpuMs);
  const usage = process.cpuUsage();
  const own = children.some((c) => c === undefined)
    ? undefined
    : children.reduce<number>((a, b) => a + b!, 0) + (usage.user + usage.system) / 1000;
  return {
    atMs: performance.now(),
    ...(machine !== undefined && { machineBusyMs: machine }),
    ...(own !== undefined && { ownMs: own }),
  };
}

/** Cores' worth of CPU used by processes other than ours between two snapshots. */
export function otherCores(before: CpuSnapshot, after: CpuSnapshot): number | undefined {
  if (
    before.machineBusyMs === undefined ||
    after.machineBusyMs === undefined ||
    before.ownMs === undefined ||
    after.ownMs === undefined
  )
    return undefined;
  const other = after.machineBusyMs - before.machineBusyMs - (after.ownMs - before.ownMs);
  return Math.max(0, Math.round((other / (after.atMs - before.atMs)) * 100) / 100);
}

/**
 * Waits (bounded) until the rest of the machine uses less than `maxOtherCores` over a
 * one-second sample. Returns how long it waited and the last sample; gives up after `maxWaitMs`.
 */
export async function waitForQuiet(
  childPids: number[],
  maxOtherCores = 0.25,
  maxWaitMs = 30_000,
): Promise<{ waitedMs: number; otherCores?: number; quiet: boolean }> {
  const start = performance.now();
  for (let attempt = 0; attempt < Math.ceil(maxWaitMs / 1000) + 1; attempt++) {
    const before = snapshot(childPids);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const cores = otherCores(before, snapshot(childPids));
    if (cores === undefined) return { waitedMs: 0, quiet: true };
    const waitedMs = Math.round(performance.now() - start);
    if (cores <= maxOtherCores || waitedMs >= maxWaitMs)
      return { waitedMs, otherCores: cores, quiet: cores <= maxOtherCores };
  }
  return { waitedMs: Math.round(performance.now() - start), quiet: false };
}
