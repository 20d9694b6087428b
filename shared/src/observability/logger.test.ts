import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', service: 'test', destination }), lines };
}

describe('createLogger', () => {
  it('writes JSON lines with the service and a readable level', () => {
    const { logger, lines } = capture();
    logger.info({ requestId: 'r1' }, 'hello');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'info',
      service: 'test',
      requestId: 'r1',
      msg: 'hello',
    });
  });

  it('redacts authorization headers, passwords and tokens wherever they appear', () => {
    const { logger, lines } = capture();
    logger.info({
      headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1' },
      body: { password: 'hunter2', newPassword: 'hunter3', refreshToken: 'rt-secret' },
      token: 'top-level-token',
      accessToken: 'at-secret',
    });
    const line = lines.join('');
    for (const secret of [
      'abc.def.ghi',
      'sid=1',
      'hunter2',
      'hunter3',
      'rt-secret',
      'top-level-token',
      'at-secret',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
  });
});
