"use client";
// Daily requests (area) and daily cost (bar). Costs arrive as base units (integers); axis ticks and
// tooltips format them through the one display module for amounts.
import { Area, AreaChart, Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatUsdc } from "../../sdk/src/format";

export interface DailyPoint {
  day: string;
  requests: number;
  /** Base units; a JS number is exact up to 9 × 10^15 base units (9 billion USDC a day). */
  cost: number;
}

const usdc = (v: number) => formatUsdc(BigInt(Math.round(v)));
const shortDay = (day: string) => day.slice(5);

export function UsageCharts({ daily }: { daily: DailyPoint[] }) {
  return (
    <div className="grid" data-testid="usage-charts">
      <div className="card">
        <h2>Requests per day</h2>
        <div style={{ width: "100%", height: 240 }}>
          <ResponsiveContainer>
            <AreaChart data={daily} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e3e6eb" />
              <XAxis dataKey="day" tickFormatter={shortDay} fontSize={12} minTickGap={16} />
              <YAxis allowDecimals={false} fontSize={12} width={56} />
              <Tooltip formatter={(v) => [Number(v).toLocaleString("en-US"), "Requests"]} />
              <Area type="monotone" dataKey="requests" stroke="#4f46e5" fill="#c7d2fe" isAnimationActive={false} />
            </AreaChart>
          </ResponsiveContainer>
        </div>
      </div>
      <div className="card">
        <h2>Cost per day</h2>
        <div style={{ width: "100%", height: 240 }}>
          <ResponsiveContainer>
            <BarChart data={daily} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e3e6eb" />
              <XAxis dataKey="day" tickFormatter={shortDay} fontSize={12} minTickGap={16} />
              <YAxis tickFormatter={(v: number) => formatUsdc(BigInt(Math.round(v)), { unit: false })} fontSize={12} width={72} />
              <Tooltip formatter={(v) => [usdc(Number(v)), "Cost"]} />
              <Bar dataKey="cost" fill="#4f46e5" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </div>
    </div>
  );
}
