// The same verify handler without the gate.
import { verify } from "../../../../../../app/api/v1/_verify";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = verify;
