// A gateway instance's id for its balance leases, kept in its usage log's directory (the INSTANCE file): the
// leases its unsettled usage was admitted under belong to that log, so an instance restarted over the same
// log renews them under the same id (balance/leases.ts), and another log never takes them over.
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { INSTANCE_PATTERN } from "../../../convex/model/leases";

const FILE = "INSTANCE";

/** The id in `<dir>/INSTANCE`, written (durably) with a new random one when there is none. */
export async function instanceIdOf(dir: string): Promise<string> {
  const file = path.join(dir, FILE);
  const kept = await fsp.readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (kept !== null) {
    const id = kept.trim();
    if (!INSTANCE_PATTERN.test(id)) throw new Error(`${file} does not hold an instance id (1 to 64 of [A-Za-z0-9._:-]): ${JSON.stringify(id.slice(0, 80))}`);
    return id;
  }
  const id = `gw-${randomBytes(8).toString("hex")}`;
  const tmp = `${file}.tmp`;
  const h = await fsp.open(tmp, "w");
  try {
    await h.writeFile(`${id}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
  await fsp.rename(tmp, file);
  return id;
}
