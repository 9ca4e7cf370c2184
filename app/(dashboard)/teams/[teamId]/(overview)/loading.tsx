import { PageSkeleton } from "../../../../../components/ui/skeleton";

export default function Loading() {
  return <PageSkeleton cards={4} label="Loading the balance" />;
}
