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
 * frames without one. A Buffer is read in place, digit by digit: this runs for every delivery
 * of a run, on the box under test.
 */
export function readMarker(frame: Buffer | string, start = 0, end = frame.length): Marker | undefined {
  if (typeof frame === 'string') {
    const at = frame.indexOf(PREFIX);
    if (at < 0) return undefined;
    const [step, phase, sentAt] = frame.slice(at + PREFIX.length, at + PREFIX.length + 48).split('|', 3);
    if (phase !== 'w' && phase !== 'm') return undefined;
    return { step: Number(step), phase, sentAt: Number(sentAt) };
  }
  const at = frame.indexOf(PREFIX_BYTES, start);
  if (at < 0 || at >= end) return undefined;
  let index = at + PREFIX_BYTES.length;
  const number = (stop: number): number | undefined => {
    let value = 0;
    let scale = 0;
    const first = index;
    for (; index < end; index++) {
      const byte = frame[index] as number;
      if (byte === stop) break;
      if (byte === DOT && scale === 0) scale = 1;
      else if (byte >= ZERO && byte <= NINE) {
        value = value * 10 + (byte - ZERO);
        if (scale > 0) scale *= 10;
      } else return undefined;
    }
    if (index === first || index >= end) return undefined;
    index++;
    return scale > 0 ? value / scale : value;
  };
  const step = number(PIPE);
  const phaseByte = frame[index];
  const phase = phaseByte === W ? 'w' : phaseByte === M ? 'm' : undefined;
  if (step === undefined || phase === undefined || frame[index + 1] !== PIPE) return undefined;
  index += 2;
  const sentAt = number(PIPE);
  return sentAt === undefined ? undefined : { step, phase, sentAt };
}

const [PIPE, DOT, ZERO, NINE, W, M] = [...Buffer.from('|.09wm')] as [
  number,
  number,
  number,
  number,
  number,
  number,
];
