// Per-process figures from /proc: CPU seconds (utime + stime) and resident memory.
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function statusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function rssMiB(pid: number): number {
  return statusKb(pid, 'VmRSS') / 1024;
}

/** Peak resident memory since the process started. */
export function peakRssMiB(pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024;
}
