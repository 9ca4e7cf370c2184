// The indexer's cursor (the last program transaction ingested) in a file, replaced atomically.
import { promises as fsp } from "node:fs";

export function fileCursor(file: string): { load(): Promise<string | undefined>; save(cursor: string): Promise<void> } {
  return {
    load: async () => (await fsp.readFile(file, "utf8").catch(() => "")).trim() || undefined,
    save: async (cursor: string) => {
      const tmp = `${file}.tmp`;
      await fsp.writeFile(tmp, cursor);
      await fsp.rename(tmp, file);
    },
  };
}
