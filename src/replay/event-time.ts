/**
 * Strict parsing of CloudTrail's `eventTime`: ISO 8601 / RFC 3339 as
 * CloudTrail writes it (`2024-03-01T10:00:05Z`), optionally with fractional
 * seconds and a numeric offset (`+02:00`, `+0200`).
 *
 * A time without a zone is read as UTC (CloudTrail's times are UTC), so the
 * result never depends on the TZ of the machine running the replay.
 * Anything else (a bare number, a date without time, a date that does not
 * exist such as `2024-02-30`, hours past 23) is not a time: NaN.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

function daysIn(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Milliseconds since the epoch, or NaN when `value` is not a valid ISO 8601 date-time. */
export function parseEventTime(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  const m = ISO.exec(value);
  if (m === null) return NaN;
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  const hour = +m[4];
  const minute = +m[5];
  const second = +m[6];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  const ms = m[7] === undefined ? 0 : Math.floor(+`0.${m[7]}` * 1000);
  let offsetMin = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = +digits.slice(0, 2);
    const om = +digits.slice(2);
    if (oh > 23 || om > 59) return NaN;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
}
