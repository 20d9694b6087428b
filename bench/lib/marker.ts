/**
 * How a benchmark message carries its send time through every system unchanged: the message
 * body is `bench|<step>|<phase>|<send time, epoch ms>|<padding>`. Receivers find it in the raw
 * frame (no JSON decoding: every system's receivers do the same minimal work, so the load
 * generator takes as little CPU from the server as it can on a shared box).
 */
export type Phase = 'w' | 'm';

const PREFIX = 'bench|';
const PREFIX_BYTES = Buffer.from(PREFIX);
/** A chat-sized body: the whole event frame is then ~500 bytes, as a real short message is. */
const BODY_CHARS = 80;

/** The current time in epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function markerBody(step: number, phase: Phase, sentAt: number): string {
  const head = `${PREFIX}${step}|${phase}|${sentAt.toFixed(3)}|`;
  return head + 'x'.repeat(Math.max(0, BODY_CHARS - head.length));
}

export interface Marker {
  step: number;
  phase: Phase;
  sentAt: number;
}

/**
 * The marker inside a raw frame — a string, or `data[start, end)` of a Buffer — or undefined for
 * frames without one.
 */
export function readMarker(frame: Buffer | string, start = 0, end = frame.length): Marker | undefined {
  let text: string;
  if (typeof frame === 'string') {
    const at = frame.indexOf(PREFIX);
    if (at < 0) return undefined;
    text = frame.slice(at + PREFIX.length, at + PREFIX.length + 48);
  } else {
    const at = frame.indexOf(PREFIX_BYTES, start);
    if (at < 0 || at >= end) return undefined;
    text = frame.toString('latin1', at + PREFIX.length, Math.min(end, at + PREFIX.length + 48));
  }
  const [step, phase, sentAt] = text.split('|', 3);
  if (phase !== 'w' && phase !== 'm') return undefined;
  return { step: Number(step), phase, sentAt: Number(sentAt) };
}
