import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';

/** What the numbers were measured on. */
export interface MachineInfo {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly kernel: string;
  readonly memoryGiB: number;
}

/** Describes this machine: cores, CPU model (from /proc/cpuinfo), Node version. */
export function machineInfo(): MachineInfo {
  let cpuModel = 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux: keep "unknown"
  }
  return {
    nproc: availableParallelism(),
    cpuModel,
    node: process.version,
    kernel: release(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  };
}

/** One line for reports: `2 cores, AMD EPYC, Node v24.x, Linux 6.x, 8 GiB`. */
export function describeMachine(m: MachineInfo = machineInfo()): string {
  return `nproc ${m.nproc}, CPU ${m.cpuModel}, Node ${m.node}, Linux ${m.kernel}, ${m.memoryGiB} GiB RAM`;
}

/** Short commit of the checkout (`git rev-parse --short HEAD`). */
export function gitCommit(cwd: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
