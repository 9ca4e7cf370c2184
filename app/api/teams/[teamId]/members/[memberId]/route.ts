import { deleteMember, patchMember } from "../../../../../../lib/api/team-admin";
import { route } from "../../../../../../lib/server/route";

export const PATCH = route(patchMember);
export const DELETE = route(deleteMember);
