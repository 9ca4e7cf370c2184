import { postInvoice } from "../../../../../lib/api/invoices";
import { route } from "../../../../../lib/server/route";

export const POST = route(postInvoice);
