// The usage log's files and how one file's text is read back (usage/log.ts says what the lines mean):
//   seg-<n>.log   append-only segments of groups of lines, each group closed by a trailer with its crc32
//   ckpt-<n>.log  the live state as of the end of segment n (replay starts from the newest)
import {
  crcMatches,
  decodeLegacyLine,
  decodeLine,
  decodeTrailer,
  UsageLogCorruptError,
  type LogLine,
} from "./codec";

const SEG = /^seg-(\d{12})\.log$/;
const CKPT = /^ckpt-(\d{12})\.log$/;
export const segName = (n: number) => `seg-${String(n).padStart(12, "0")}.log`;
export const ckptName = (n: number) => `ckpt-${String(n).padStart(12, "0")}.log`;

/** The segment and checkpoint numbers among a directory's file names, each in ascending order. */
export function logFilesOf(names: readonly string[]): { segments: number[]; checkpoints: number[] } {
  const numbers = (re: RegExp) => names.flatMap((n) => (re.test(n) ? [Number(re.exec(n)![1])] : [])).sort((a, b) => a - b);
  return { segments: numbers(SEG), checkpoints: numbers(CKPT) };
}

/** Lines of the previous format start with their own crc: 8 hex digits and a space. */
const LEGACY_LINE = /^[0-9a-f]{8} /;

/**
 * Hands `apply` the lines of the complete groups (and legacy lines) of one file's `text`, in order; returns
 * the byte length of its good prefix. A torn or bad group is allowed only at the end of the `last` file
 * (the process died mid-write: none of its appends had resolved): reading stops before it. Anywhere else
 * it is corruption, as is a line `apply` refuses: UsageLogCorruptError naming `file` and the byte.
 */
export function readLogText(text: string, file: string, last: boolean, apply: (l: LogLine) => void): number {
  let at = 0; // start of the next line (chars)
  let good = 0; // bytes of the good prefix: complete groups and legacy lines
  let groupAt = 0; // start of the open group (chars)
  let groupBytes = 0;
  let group: LogLine[] = [];
  const bad = (what: string): number => {
    if (last) return good;
    throw new UsageLogCorruptError(`usage log ${file}: ${what} at byte ${good}`);
  };
  const applyChecked = (l: LogLine): void => {
    try {
      apply(l);
    } catch (err) {
      throw new UsageLogCorruptError(`usage log ${file} at byte ${good}: ${(err as Error).message}`);
    }
  };
  while (at < text.length) {
    const nl = text.indexOf("\n", at);
    if (nl < 0) return bad("unterminated line");
    const line = text.slice(at, nl);
    const lineBytes = Buffer.byteLength(line) + 1;
    if (line.startsWith("#")) {
      const trailer = decodeTrailer(line);
      if (trailer === null || trailer.lines !== group.length || !crcMatches(text.slice(groupAt, at), trailer.crc)) {
        return bad("bad group");
      }
      for (const l of group) applyChecked(l);
      good += groupBytes + lineBytes;
      group = [];
      groupBytes = 0;
      groupAt = nl + 1;
    } else if (group.length === 0 && LEGACY_LINE.test(line)) {
      const l = decodeLegacyLine(line);
      if (l === null) return bad("bad line");
      applyChecked(l);
      good += lineBytes;
      groupAt = nl + 1;
    } else {
      const l = decodeLine(line);
      if (l === null) return bad("bad line");
      group.push(l);
      groupBytes += lineBytes;
    }
    at = nl + 1;
  }
  return group.length > 0 ? bad("group without its trailer") : good;
}
