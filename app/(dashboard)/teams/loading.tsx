import { CardSkeleton } from "../../../components/ui/skeleton";

export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading your teams">
      <CardSkeleton lines={3} />
    </div>
  );
}
