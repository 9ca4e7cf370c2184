"use client";
// Stakers' revenue per day, stacked by source. Amounts arrive as base units (integers) and are formatted
// by the one display module for amounts.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatUsdc } from "../../sdk/src/format";

export interface RevenuePoint {
  day: string;
  baseFee: number;
  overage: number;
  debt: number;
}

const NAMES: Record<string, string> = { baseFee: "Base fees", overage: "Overage", debt: "Debt collected" };

export function RevenueChart({ data }: { data: RevenuePoint[] }) {
  return (
    <div style={{ width: "100%", height: 260 }} data-testid="revenue-chart">
      <ResponsiveContainer>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e6eb" />
          <XAxis dataKey="day" tickFormatter={(d: string) => d.slice(5)} fontSize={12} minTickGap={16} />
          <YAxis tickFormatter={(v: number) => formatUsdc(BigInt(Math.round(v)), { unit: false })} fontSize={12} width={72} />
          <Tooltip formatter={(v, name) => [formatUsdc(BigInt(Math.round(Number(v)))), NAMES[String(name)] ?? String(name)]} />
          <Legend formatter={(name: string) => NAMES[name] ?? name} />
          <Bar dataKey="baseFee" stackId="r" fill="#4f46e5" isAnimationActive={false} />
          <Bar dataKey="overage" stackId="r" fill="#22c55e" isAnimationActive={false} />
          <Bar dataKey="debt" stackId="r" fill="#f59e0b" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
