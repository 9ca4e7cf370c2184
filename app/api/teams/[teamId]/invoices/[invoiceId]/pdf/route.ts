import { getInvoicePdf } from "../../../../../../../lib/api/invoices";
import { route } from "../../../../../../../lib/server/route";

export const GET = route(getInvoicePdf);
