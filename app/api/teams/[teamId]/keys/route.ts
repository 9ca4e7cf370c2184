import { postApiKey } from "../../../../../lib/api/team-admin";
import { route } from "../../../../../lib/server/route";

export const POST = route(postApiKey);
