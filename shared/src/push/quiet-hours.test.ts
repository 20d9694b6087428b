import { describe, expect, it } from 'vitest';
import { inQuietHours } from './quiet-hours';

const at = (iso: string) => new Date(iso);

describe('inQuietHours', () => {
  it('runs a window past midnight, start included and end excluded', () => {
    const night = { start: '22:00', end: '07:00', timeZone: 'UTC' };
    expect(inQuietHours(night, at('2026-12-04T21:59:00Z'))).toBe(false);
    expect(inQuietHours(night, at('2026-12-04T22:00:00Z'))).toBe(true);
    expect(inQuietHours(night, at('2026-12-05T03:00:00Z'))).toBe(true);
    expect(inQuietHours(night, at('2026-12-05T06:59:00Z'))).toBe(true);
    expect(inQuietHours(night, at('2026-12-05T07:00:00Z'))).toBe(false);
  });

  it('reads the clock in the user’s own time zone, daylight saving included', () => {
    const lunch = { start: '12:00', end: '13:00', timeZone: 'Europe/Berlin' };
    expect(inQuietHours(lunch, at('2026-12-04T11:30:00Z'))).toBe(true); // 12:30 CET
    expect(inQuietHours(lunch, at('2026-12-04T12:30:00Z'))).toBe(false); // 13:30 CET
    expect(inQuietHours(lunch, at('2026-07-04T10:30:00Z'))).toBe(true); // 12:30 CEST
    expect(
      inQuietHours({ start: '09:00', end: '17:00', timeZone: 'Asia/Kolkata' }, at('2026-12-04T04:00:00Z')),
    ).toBe(true); // 09:30 IST
  });

  it('treats equal ends as an empty window', () => {
    expect(inQuietHours({ start: '08:00', end: '08:00', timeZone: 'UTC' }, at('2026-12-04T08:00:00Z'))).toBe(
      false,
    );
  });
});
