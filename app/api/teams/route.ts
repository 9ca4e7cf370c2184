import { postTeam } from "../../../lib/api/teams";
import { route } from "../../../lib/server/route";

export const POST = route(postTeam);
