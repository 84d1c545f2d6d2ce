// The `date` filter: Django's date formatting (PHP-style format characters) applied to an ISO
// 8601 date or date-time string.
//
// Pure calendar arithmetic, no Date object and no local timezone, so the result never depends on
// the machine it runs on:
// - A date-only value ("2024-03-01") is that calendar day; time characters read it as midnight.
// - A date-time keeps the wall-clock time and offset it was written with (no conversion).
//   Without an offset it is naive: O, P-offset, Z render empty and U treats it as UTC.
// - e and T (timezone names) render empty: an offset alone names no zone. I (DST) renders empty.
// - Characters that are not format characters are copied; a backslash copies the next one.
// Invalid input (not a string, not ISO, or an impossible date) throws a DateInputError; null and
// "" render as "" like Django's filter.

export class DateInputError extends Error {}

/** Django's DATE_FORMAT default, used when the filter has no argument. */
export const DEFAULT_DATE_FORMAT = "N j, Y";

interface Moment {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  hasTime: boolean;
  /** Minutes east of UTC, or null for a naive value. */
  offset: number | null;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const AP_MONTHS = [
  "Jan.",
  "Feb.",
  "March",
  "April",
  "May",
  "June",
  "July",
  "Aug.",
  "Sept.",
  "Oct.",
  "Nov.",
  "Dec.",
];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Formats an ISO date string with a Django date format. */
export function formatDate(value: unknown, format: string = DEFAULT_DATE_FORMAT): string {
  if (value === null || value === "") return "";
  const moment = parseIso(value);
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const char = format[i] as string;
    if (char === "\\") {
      i++;
      out += format[i] ?? "";
    } else {
      out += formatChar(moment, char);
    }
  }
  return out;
}

function parseIso(value: unknown): Moment {
  const shown = typeof value === "string" ? `"${value}"` : JSON.stringify(value);
  const match = typeof value === "string" ? ISO.exec(value.trim()) : null;
  if (!match) {
    throw new DateInputError(`the date filter needs an ISO date like "2024-03-01" (got ${shown})`);
  }
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const moment: Moment = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h ?? 0),
    minute: Number(mi ?? 0),
    second: Number(s ?? 0),
    microsecond: Number((fraction ?? "").padEnd(6, "0").slice(0, 6)),
    hasTime: h !== undefined,
    offset: zone === undefined ? null : parseOffset(zone),
  };
  const valid =
    moment.month >= 1 &&
    moment.month <= 12 &&
    moment.day >= 1 &&
    moment.day <= daysInMonth(moment.year, moment.month) &&
    moment.hour <= 23 &&
    moment.minute <= 59 &&
    moment.second <= 59 &&
    (moment.offset === null || Math.abs(moment.offset) < 24 * 60);
  if (!valid) throw new DateInputError(`the date filter got an impossible date ${shown}`);
  return moment;
}

function parseOffset(zone: string): number {
  if (zone.toUpperCase() === "Z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  return zone.startsWith("-") ? -minutes : minutes;
}

function formatChar(m: Moment, char: string): string {
  const hour12 = m.hour % 12 === 0 ? 12 : m.hour % 12;
  switch (char) {
    case "a":
      return m.hour < 12 ? "a.m." : "p.m.";
    case "A":
      return m.hour < 12 ? "AM" : "PM";
    case "b":
      return (MONTHS[m.month - 1] as string).slice(0, 3).toLowerCase();
    case "c":
      return isoString(m);
    case "d":
      return pad(m.day);
    case "D":
      return weekdayName(m).slice(0, 3);
    case "e":
    case "T":
    case "I":
      return "";
    case "E":
    case "F":
      return MONTHS[m.month - 1] as string;
    case "f":
      return m.minute === 0 ? String(hour12) : `${hour12}:${pad(m.minute)}`;
    case "g":
      return String(hour12);
    case "G":
      return String(m.hour);
    case "h":
      return pad(hour12);
    case "H":
      return pad(m.hour);
    case "i":
      return pad(m.minute);
    case "j":
      return String(m.day);
    case "l":
      return weekdayName(m);
    case "L":
      return isLeap(m.year) ? "True" : "False";
    case "m":
      return pad(m.month);
    case "M":
      return (MONTHS[m.month - 1] as string).slice(0, 3);
    case "n":
      return String(m.month);
    case "N":
      return AP_MONTHS[m.month - 1] as string;
    case "o":
      return String(isoWeek(m).year);
    case "O":
      return m.offset === null ? "" : offsetText(m.offset, "");
    case "P":
      return meridiemTime(m, hour12);
    case "r":
      return rfc5322(m);
    case "s":
      return pad(m.second);
    case "S":
      return ordinalSuffix(m.day);
    case "t":
      return String(daysInMonth(m.year, m.month));
    case "u":
      return String(m.microsecond).padStart(6, "0");
    case "U":
      return String(epochSeconds(m));
    case "w":
      return String(weekday(m));
    case "W":
      return String(isoWeek(m).week);
    case "y":
      return pad(m.year % 100);
    case "Y":
      return String(m.year).padStart(4, "0");
    case "z":
      return String(dayOfYear(m));
    case "Z":
      return m.offset === null ? "" : String(m.offset * 60);
    default:
      return char;
  }
}

function isoString(m: Moment): string {
  const date = `${String(m.year).padStart(4, "0")}-${pad(m.month)}-${pad(m.day)}`;
  if (!m.hasTime) return date;
  const micro = m.microsecond ? `.${String(m.microsecond).padStart(6, "0")}` : "";
  const zone = m.offset === null ? "" : offsetText(m.offset, ":");
  return `${date}T${pad(m.hour)}:${pad(m.minute)}:${pad(m.second)}${micro}${zone}`;
}

function rfc5322(m: Moment): string {
  const day = `${weekdayName(m).slice(0, 3)}, ${pad(m.day)} ${(MONTHS[m.month - 1] as string).slice(0, 3)}`;
  const zone = m.offset === null ? "-0000" : offsetText(m.offset, "");
  return `${day} ${String(m.year).padStart(4, "0")} ${pad(m.hour)}:${pad(m.minute)}:${pad(m.second)} ${zone}`;
}

/** Django's `P`: "1 a.m.", "1:30 p.m.", with "midnight" and "noon" spelled out. */
function meridiemTime(m: Moment, hour12: number): string {
  if (m.minute === 0 && m.hour === 0) return "midnight";
  if (m.minute === 0 && m.hour === 12) return "noon";
  const time = m.minute === 0 ? String(hour12) : `${hour12}:${pad(m.minute)}`;
  return `${time} ${m.hour < 12 ? "a.m." : "p.m."}`;
}

function offsetText(offset: number, separator: string): string {
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${sign}${pad(Math.floor(abs / 60))}${separator}${pad(abs % 60)}`;
}

function ordinalSuffix(day: number): string {
  if (day >= 11 && day <= 13) return "th";
  return ["th", "st", "nd", "rd"][day % 10] ?? "th";
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** 0 for Sunday through 6 for Saturday; 1970-01-01 was a Thursday. */
function weekday(m: Moment): number {
  return (((daysFromCivil(m.year, m.month, m.day) + 4) % 7) + 7) % 7;
}

function weekdayName(m: Moment): string {
  return WEEKDAYS[weekday(m)] as string;
}

function dayOfYear(m: Moment): number {
  return daysFromCivil(m.year, m.month, m.day) - daysFromCivil(m.year, 1, 1) + 1;
}

function epochSeconds(m: Moment): number {
  const days = daysFromCivil(m.year, m.month, m.day);
  return days * 86400 + m.hour * 3600 + m.minute * 60 + m.second - (m.offset ?? 0) * 60;
}

function isoWeeksInYear(year: number): number {
  const p = (y: number): number =>
    (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400)) % 7;
  return p(year) === 4 || p(year - 1) === 3 ? 53 : 52;
}

/** ISO 8601 week number and week-numbering year. */
function isoWeek(m: Moment): { year: number; week: number } {
  const isoWeekday = weekday(m) || 7;
  const week = Math.floor((dayOfYear(m) - isoWeekday + 10) / 7);
  if (week < 1) return { year: m.year - 1, week: isoWeeksInYear(m.year - 1) };
  if (week > isoWeeksInYear(m.year)) return { year: m.year + 1, week: 1 };
  return { year: m.year, week };
}
