import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { textFrame } from '../src/wire-frame';

/** ws's frame parser: exported by the package, though its type definitions leave it out. */
const { Receiver } = createRequire(import.meta.url)('ws') as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => Writable;
};

/** What a client's `ws` makes of the bytes: every message parsed out of one stream of frames. */
function receive(bytes: Buffer): Promise<string[]> {
  return new Promise((done, fail) => {
    const messages: string[] = [];
    // A client-side receiver: frames from a server are unmasked, and it refuses masked ones.
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) fail(new Error('binary frame'));
      messages.push(data.toString('utf8'));
    });
    receiver.on('error', fail);
    receiver.write(bytes, () => done(messages));
  });
}

describe('textFrame', () => {
  it.each([
    ['empty', 0],
    ['one-byte length (125)', 125],
    ['two-byte length (126)', 126],
    ['two-byte length (65535)', 65_535],
    ['eight-byte length (65536)', 65_536],
  ])('frames a %s payload that a WebSocket client reads back', async (_label, size) => {
    const payload = 'x'.repeat(size);
    const frame = textFrame(payload);
    expect(frame.length - size).toBe(size < 126 ? 2 : size < 65_536 ? 4 : 10);
    expect(await receive(frame)).toEqual([payload]);
  });

  it('counts the length in bytes, not characters, and frames a Buffer alike', async () => {
    const payload = '{"body":"héllo 👋"}';
    expect(await receive(textFrame(payload))).toEqual([payload]);
    expect(textFrame(Buffer.from(payload))).toEqual(textFrame(payload));
  });

  it('makes frames that can be written back to back into one stream', async () => {
    const frames = ['{"seq":1}', '{"seq":2}', 'y'.repeat(300)].map((text) => textFrame(text));
    expect(await receive(Buffer.concat(frames))).toEqual(['{"seq":1}', '{"seq":2}', 'y'.repeat(300)]);
  });
});
