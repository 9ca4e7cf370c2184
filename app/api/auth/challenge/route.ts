import { postChallenge } from "../../../../lib/auth/handlers";
import { route } from "../../../../lib/server/route";

export const POST = route(postChallenge);
