import { readFileSync } from 'node:fs';

/** CPU time and memory of one process, read from /proc. */
export interface ProcSample {
  /** utime + stime, in milliseconds. */
  readonly cpuMs: number;
  /** Resident set size now, in bytes. */
  readonly rssBytes: number;
  /** Peak resident set size over the process's life (VmHWM), in bytes. */
  readonly peakRssBytes: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Reads utime+stime (from /proc/<pid>/stat) and VmRSS/VmHWM (from /proc/<pid>/status). */
export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing paren are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) is fields[11] and stime (15) is fields[12].
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** Busy CPU time of the whole machine (all cores, /proc/stat), in milliseconds. */
export function machineBusyMs(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const busy = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0);
  return (busy * 1000) / TICKS_PER_SECOND;
}
