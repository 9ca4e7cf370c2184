import { getSession } from "../../../../lib/auth/handlers";
import { route } from "../../../../lib/server/route";

export const GET = route(getSession);
