import { CardSkeleton } from "../../../../../../components/ui/skeleton";

export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading the invoices">
      <CardSkeleton lines={5} />
    </div>
  );
}
