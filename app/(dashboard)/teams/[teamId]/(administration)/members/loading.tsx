import { CardSkeleton } from "../../../../../../components/ui/skeleton";

export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading the team">
      <CardSkeleton lines={2} />
      <CardSkeleton lines={5} />
    </div>
  );
}
