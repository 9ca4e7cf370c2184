import { postFaucet } from "../../../../lib/api/faucet";
import { route } from "../../../../lib/server/route";

export const POST = route(postFaucet);
