import { getHistoryCsv } from "../../../../../../lib/api/history";
import { route } from "../../../../../../lib/server/route";

export const GET = route(getHistoryCsv);
