/** A user's daily quiet window in their own time zone. */
export interface QuietHours {
  start: string;
  end: string;
  timeZone: string;
}

/** Minutes since local midnight in `timeZone` at `now`. */
function localMinutes(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return value('hour') * 60 + value('minute');
}

const minutesOf = (time: string) => {
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  return hours * 60 + minutes;
};

/**
 * Whether `now` falls in the window, start included and end excluded; a window whose end is
 * before its start runs past midnight (22:00–07:00), and one whose ends are equal is empty.
 */
export function inQuietHours(quiet: QuietHours, now: Date): boolean {
  const at = localMinutes(now, quiet.timeZone);
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  return start <= end ? at >= start && at < end : at >= start || at < end;
}
