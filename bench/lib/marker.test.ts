import { describe, expect, it } from 'vitest';
import { markerBody, readMarker } from './marker';

describe('readMarker', () => {
  const body = markerBody(4242, 'm', 1_763_790_000_123.456);
  const frame = Buffer.from(`{"type":"event","data":{"message":{"body":"${body}"}}}`);

  it('reads step, phase and send time from a frame in place, as from a string', () => {
    const expected = { step: 4242, phase: 'm', sentAt: 1_763_790_000_123.456 };
    expect(readMarker(frame)).toEqual(expected);
    expect(readMarker(frame.toString())).toEqual(expected);
  });

  it('reads only inside data[start, end)', () => {
    const padded = Buffer.concat([Buffer.from('xx'), frame, Buffer.from('yy')]);
    expect(readMarker(padded, 2, 2 + frame.length)?.step).toBe(4242);
    expect(readMarker(padded, 2, 12)).toBeUndefined();
  });

  it.each([
    ['no marker', '{"type":"ready"}'],
    ['an unknown phase', 'bench|12|x|1.5|'],
    ['a send time that is not a number', 'bench|12|w|1a5|'],
    ['a cut-off marker', 'bench|12|w|17.5'],
  ])('finds nothing in a frame with %s', (_label, text) => {
    expect(readMarker(Buffer.from(text))).toBeUndefined();
  });
});
