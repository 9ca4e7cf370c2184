import { CardSkeleton } from "../../../../../../components/ui/skeleton";

export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading the API keys">
      <CardSkeleton lines={2} />
      <CardSkeleton lines={4} />
    </div>
  );
}
