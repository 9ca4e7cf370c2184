import { deleteInvitation } from "../../../../../../lib/api/team-admin";
import { route } from "../../../../../../lib/server/route";

export const DELETE = route(deleteInvitation);
