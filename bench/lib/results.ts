import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Histogram } from 'hdr-histogram-js';
import { type MachineFacts, machineFacts } from './machine';

export const RESULTS_DIR = resolve(import.meta.dirname, '../results');

export interface ResultFile {
  scenario: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineFacts;
  // biome-ignore lint/suspicious/noExplicitAny: each scenario has its own shape, documented in bench/README.md
  [key: string]: any;
}

/** What writeResult does besides the timestamped file; `npm run bench -- --quick` turns `updateLatest` off. */
export const resultOptions = { updateLatest: true };

/**
 * Writes `results/<scenario>-<timestamp>.json` and copies it to `results/latest/<scenario>.json`
 * (the one committed) unless this is a quick run. Returns the timestamped path.
 */
export async function writeResult(result: ResultFile): Promise<string> {
  await mkdir(join(RESULTS_DIR, 'latest'), { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const file = join(
    RESULTS_DIR,
    `${result.scenario}-${stamp}${resultOptions.updateLatest ? '' : '-quick'}.json`,
  );
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  if (resultOptions.updateLatest)
    await copyFile(file, join(RESULTS_DIR, 'latest', `${result.scenario}.json`));
  return file;
}

/** Starts a result with the machine facts taken now. */
export function beginResult(scenario: string): ResultFile {
  return { scenario, startedAt: new Date().toISOString(), finishedAt: '', machine: machineFacts() };
}

/** Milliseconds with two decimals from a histogram of microseconds. */
export function percentiles(histogram: Histogram) {
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    count: histogram.totalCount,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
  };
}

/** Prints rows as an aligned text table (console.table quotes strings and adds an index). */
export function printTable(title: string, rows: Record<string, string | number | null | undefined>[]): void {
  if (rows.length === 0) return;
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: unknown) => (value === null || value === undefined ? '—' : String(value));
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]) =>
    values.map((value, index) => value.padEnd(widths[index] as number)).join('  ');
  process.stdout.write(`\n${title}\n${line(columns)}\n${line(widths.map((width) => '-'.repeat(width)))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((column) => cell(row[column])))}\n`);
}

export const formatRate = (value: number) => Math.round(value).toLocaleString('en');
export const kib = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;
