import { CardSkeleton } from "../../../../../../components/ui/skeleton";

export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading the billing history">
      <CardSkeleton lines={8} />
    </div>
  );
}
