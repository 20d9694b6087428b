import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** What the figures were measured on: recorded in every result file and in the README table. */
export interface MachineFacts {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the scenario started: another busy process skews everything. */
  loadAverage: number;
}

export function machineFacts(): MachineFacts {
  const list = cpus();
  return {
    cpuModel: cpuModel() ?? list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** `lscpu` names the model more fully than os.cpus() on some virtual machines. */
function cpuModel(): string | undefined {
  try {
    const output = execFileSync('lscpu', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /^Model name:\s*(.+)$/m.exec(output)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/** One line for tables: "AMD EPYC, 2 cores, 23 GiB, Node v20.20.2". */
export function describeMachine(facts: MachineFacts): string {
  return `${facts.cpuModel}, ${facts.cores} cores, ${facts.ramGiB} GiB, Node ${facts.node}`;
}
