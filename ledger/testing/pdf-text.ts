// A small text extraction for the PDFs pdfkit writes with its built-in fonts: inflate each content
// stream and read the strings of its text operators (TJ arrays of hex strings, Tj). Enough to check
// what an invoice says; not a general PDF parser.
import { inflateSync } from "node:zlib";

function decodeHexRun(run: string): string {
  let text = "";
  for (const [, hex] of run.matchAll(/<([0-9a-fA-F]*)>/g)) text += Buffer.from(hex, "hex").toString("latin1");
  return text;
}

/** The text runs of every page, in drawing order. */
export function pdfTextRuns(pdf: Buffer): string[] {
  const runs: string[] = [];
  const raw = pdf.toString("latin1");
  const streamPattern = /<<([^]*?)>>\s*stream\r?\n/g;
  let match: RegExpExecArray | null;
  while ((match = streamPattern.exec(raw)) !== null) {
    const start = match.index + match[0].length;
    const end = raw.indexOf("endstream", start);
    if (end < 0) break;
    let body = pdf.subarray(start, end);
    if (/\/FlateDecode/.test(match[1])) {
      try {
        body = inflateSync(body);
      } catch {
        continue; // not a content stream this extractor understands (e.g. an image)
      }
    }
    const content = body.toString("latin1");
    for (const [, array] of content.matchAll(/\[((?:\s*(?:<[0-9a-fA-F]*>|-?[\d.]+))*)\s*\]\s*TJ/g)) {
      runs.push(decodeHexRun(array));
    }
    for (const [, hex] of content.matchAll(/<([0-9a-fA-F]*)>\s*Tj/g)) runs.push(decodeHexRun(`<${hex}>`));
    streamPattern.lastIndex = end;
  }
  return runs;
}

/** All text of the PDF, one run per line. */
export function pdfText(pdf: Buffer): string {
  return pdfTextRuns(pdf).join("\n");
}
