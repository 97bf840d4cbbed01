/**
 * A dependency-free SVG bar chart of median events/s per system, written next to `latest.json`.
 *
 * @module
 */
import type * as Report from "./Report.ts"

/**
 * Renders horizontal bars (one per system with a figure) of median events/s, labelled with the
 * value and the ratio to pino.
 *
 * @example
 * ```ts
 * import * as Chart from "./Chart.ts"
 * const svg = Chart.svg([], "1,000,000 events, median of 3 rounds")
 * ```
 */
export const svg = (summaries: ReadonlyArray<Report.Summary>, subtitle: string): string => {
  const rows = summaries.flatMap((s) => s.eventsPerSec === null ? [] : [{ ...s, rate: s.eventsPerSec }])
  const max = Math.max(1, ...rows.map((row) => row.rate))
  const labelWidth = 290
  const barWidth = 420
  const rowHeight = 28
  const top = 56
  const width = labelWidth + barWidth + 190
  const height = top + rows.length * rowHeight + 16
  const bars = rows.map((row, i) => {
    const y = top + i * rowHeight
    const w = Math.max(1, Math.round((row.rate / max) * barWidth))
    const fill = row.id.startsWith("fapilog") ? "#2f855a" : row.id === "effect-noop" ? "#a0aec0" : "#4a5568"
    const pino = row.ratios.pino === null ? "" : ` (${row.ratios.pino.toFixed(2)}× pino)`
    return [
      `<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end">${escape(row.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 8}" fill="${fill}"/>`,
      `<text x="${labelWidth + w + 6}" y="${y + 18}">${Math.round(row.rate).toLocaleString("en-US")}/s${pino}</text>`
    ].join("")
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="16" font-weight="bold">Logging throughput, events/s (higher is better)</text>`,
    `<text x="12" y="42" fill="#555">${escape(subtitle)}</text>`,
    ...bars,
    `</svg>`
  ].join("\n") + "\n"
}

const escape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
