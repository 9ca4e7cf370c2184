import { postVerifyBatch } from "../../../../../../../lib/api/history";
import { route } from "../../../../../../../lib/server/route";

export const POST = route(postVerifyBatch);
