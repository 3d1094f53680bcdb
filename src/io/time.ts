/**
 * Local time by IANA zone name (Asia/Shanghai by default): the offset of a
 * zone at an instant and wall-clock times into instants (DST included), from
 * the runtime's own time-zone database (Intl), and times written as ISO 8601
 * with their offset (2023-11-16T10:25:00+08:00), never as bare UTC.
 */
import { GreenmineError } from '../errors.js';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter of a zone; an unknown zone name is TIME_ZONE_UNKNOWN. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    } catch {
      throw new GreenmineError('TIME_ZONE_UNKNOWN', `"${timeZone.slice(0, 60)}" is not a time zone name (an IANA name such as Asia/Shanghai is expected)`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Check a zone name (throws TIME_ZONE_UNKNOWN). */
export function checkTimeZone(timeZone: string): string {
  formatter(timeZone);
  return timeZone;
}

/** The wall-clock fields of an instant in a zone. */
function wall(ms: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour!, mi: parts.minute!, s: parts.second! };
}

const offsetCache = new Map<string, Map<number, number>>();

/**
 * Minutes east of UTC of a zone at an instant (ms since the epoch). Offsets are whole quarter hours and
 * change only on quarter-hour instants, so one Intl lookup per zone and 15-minute span serves every reading in it.
 */
export function offsetMinutes(timeZone: string, ms: number): number {
  let cache = offsetCache.get(timeZone);
  if (!cache) offsetCache.set(timeZone, (cache = new Map()));
  const bucket = Math.floor(ms / 900_000);
  const hit = cache.get(bucket);
  if (hit !== undefined) return hit;
  const w = wall(ms, timeZone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  const off = Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
  if (cache.size > 100_000) cache.clear();
  cache.set(bucket, off);
  return off;
}

/**
 * The instant (ms) of a wall-clock time in a zone: the offset is found at a first guess and
 * checked once more (so a time near a DST change takes the offset in force at it; a time in
 * the gap of a spring-forward change is read with the offset before it, as most software does).
 */
export function wallToUtcMs(timeZone: string, y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const naive = Date.UTC(y, mo - 1, d, h, mi, s);
  const first = naive - offsetMinutes(timeZone, naive) * 60_000;
  const second = naive - offsetMinutes(timeZone, first) * 60_000;
  return offsetMinutes(timeZone, second) === offsetMinutes(timeZone, first) ? second : first;
}

const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');

/** An instant (seconds since the epoch) as ISO 8601 local time with its offset: 2023-11-16T10:25:00+08:00. */
export function isoLocal(seconds: number, timeZone: string = DEFAULT_TIME_ZONE): string {
  const ms = Math.round(seconds * 1000);
  const w = wall(ms, timeZone);
  const off = offsetMinutes(timeZone, ms);
  const frac = ms % 1000 === 0 ? '' : `.${pad(((ms % 1000) + 1000) % 1000, 3)}`;
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}${frac}${off < 0 ? '-' : '+'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

/** The local calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(seconds: number, timeZone: string = DEFAULT_TIME_ZONE): string {
  return isoLocal(seconds, timeZone).slice(0, 10);
}
