/**
 * One JSON line on the isolate's console, the shape the Node processes log with pino (level,
 * time, service, msg), so one pipeline reads both. Workers Logs and workerd's stdout carry it.
 */
export function logLine(
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields: Record<string, unknown> = {},
): void {
  const line = JSON.stringify({ level, time: Date.now(), service: 'edge-router', msg, ...fields });
  if (level === 'info') console.log(line);
  else console.error(line);
}
