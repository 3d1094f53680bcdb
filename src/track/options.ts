import type { FrameName } from '../crs/index.js';

export interface TrackReadOptions {
  /** Device id for files that do not name one (default: a name in the file, else the file name). */
  deviceId?: string;
  /** The frame positions are in (WGS84; GCJ02 or BD09 for Chinese platforms). CSV may also declare it in its header. */
  frame?: FrameName;
  /** Minutes east of UTC for times without a zone (fixed); `timeZone` takes precedence. */
  defaultOffsetMin?: number;
  /** IANA zone for times without a zone (default Asia/Shanghai, Beijing time): its offset at each time, DST included. */
  timeZone?: string;
  /** Text encoding of a CSV file (default: UTF-8, else GBK). */
  encoding?: string;
  /** Date (YYYY-MM-DD, UTC) for NMEA logs holding only $GPGGA sentences. */
  date?: string;
}
