import { postTransaction } from "../../../../../lib/api/transactions";
import { route } from "../../../../../lib/server/route";

export const POST = route(postTransaction);
