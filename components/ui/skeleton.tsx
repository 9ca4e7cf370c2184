/** Placeholder blocks shown while a page's data loads (loading.tsx of each dashboard page). */
export function Skeleton({ width = "100%", height = 16 }: { width?: number | string; height?: number | string }) {
  return <span className="skeleton" style={{ width, height }} aria-hidden="true" />;
}

export function CardSkeleton({ lines = 3 }: { lines?: number }) {
  return (
    <div className="card">
      <Skeleton width="40%" height={14} />
      <div style={{ height: 10 }} />
      {Array.from({ length: lines }, (_, i) => (
        <div key={i} style={{ marginBottom: 8 }}>
          <Skeleton width={`${90 - i * 15}%`} />
        </div>
      ))}
    </div>
  );
}

export function PageSkeleton({ cards = 3, label = "Loading" }: { cards?: number; label?: string }) {
  return (
    <div aria-busy="true" aria-label={label}>
      <div className="grid">
        {Array.from({ length: cards }, (_, i) => (
          <CardSkeleton key={i} lines={2} />
        ))}
      </div>
      <CardSkeleton lines={5} />
    </div>
  );
}
