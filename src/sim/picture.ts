// A self-contained SVG of a run: one band per router coloured by state over virtual time, fault markers,
// the liveness phase shaded, a violation in red. Output depends only on its input (fixed number
// formatting, no dates, no ids from counters), so the same run draws byte-identical pictures.

import type { SimRouterState } from './invariants.js';

export interface PictureRow {
  readonly label: string;
  readonly segments: readonly { readonly fromMs: number; readonly state: SimRouterState }[];
}

export interface PictureInput {
  readonly title: string;
  readonly subtitle: string;
  readonly endMs: number;
  readonly rows: readonly PictureRow[];
  readonly markers: readonly { readonly atMs: number; readonly label: string }[];
  readonly livenessFromMs: number | undefined;
  readonly violation: { readonly atMs: number; readonly message: string } | undefined;
}

const MAX_ROWS = 64;
const MAX_MARKER_LINES = 40;
const LABEL_WIDTH = 170;
const PLOT_WIDTH = 900;
const ROW_HEIGHT = 18;
const TOP = 58;

const STATE_COLOUR: Record<SimRouterState, string> = {
  Master: '#2e7d32',
  Backup: '#90a4ae',
  Fault: '#c62828',
  Initialize: '#f9a825',
  Down: '#ffffff',
};

/** Each router's row: its label, then a bar per state it was in, from when until the next. */
function drawRows(out: string[], rows: readonly PictureRow[], x: (ms: number) => string, endMs: number): void {
  rows.forEach((row, i) => {
    const y = TOP + i * ROW_HEIGHT;
    out.push(`<text x="${LABEL_WIDTH - 6}" y="${y + 12}" text-anchor="end">${escapeXml(row.label)}</text>`);
    row.segments.forEach((segment, j) => {
      const toMs = j + 1 < row.segments.length ? row.segments[j + 1]!.fromMs : endMs;
      if (toMs <= segment.fromMs) return;
      const x0 = Number(x(segment.fromMs));
      const w = Math.max(Number(x(toMs)) - x0, 0.5);
      out.push(
        `<rect x="${x0.toFixed(1)}" y="${y + 2}" width="${w.toFixed(1)}" height="${ROW_HEIGHT - 4}" fill="${STATE_COLOUR[segment.state]}" stroke="#607d8b" stroke-width="0.3"><title>${escapeXml(
          `${row.label} ${segment.state} from ${seconds(segment.fromMs)}`,
        )}</title></rect>`,
      );
    });
  });
}

/** A colour swatch and name per state, in one line at `legendTop`. */
function drawStateLegend(out: string[], legendTop: number): void {
  let lx = 10;
  for (const state of Object.keys(STATE_COLOUR) as SimRouterState[]) {
    out.push(
      `<rect x="${lx}" y="${legendTop - 10}" width="12" height="12" fill="${STATE_COLOUR[state]}" stroke="#607d8b" stroke-width="0.5"/>`,
      `<text x="${lx + 16}" y="${legendTop}">${state}</text>`,
    );
    lx += 100;
  }
}

export function renderSvg(input: PictureInput): string {
  const rows = input.rows.slice(0, MAX_ROWS);
  const hiddenRows = input.rows.length - rows.length;
  const endMs = Math.max(input.endMs, 1);
  const x = (ms: number): string => (LABEL_WIDTH + (Math.min(Math.max(ms, 0), endMs) / endMs) * PLOT_WIDTH).toFixed(1);
  const plotBottom = TOP + rows.length * ROW_HEIGHT;
  const markerLines = input.markers.slice(0, MAX_MARKER_LINES);
  const legendTop = plotBottom + 48;
  const height = legendTop + 20 + (markerLines.length + (input.markers.length > markerLines.length ? 1 : 0)) * 14 + 30;
  const width = LABEL_WIDTH + PLOT_WIDTH + 30;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fafafa"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${escapeXml(input.title)}</text>`,
    `<text x="10" y="36">${escapeXml(input.subtitle)}</text>`,
  );
  if (input.livenessFromMs !== undefined && input.livenessFromMs < endMs) {
    out.push(
      `<rect x="${x(input.livenessFromMs)}" y="${TOP - 6}" width="${(Number(x(endMs)) - Number(x(input.livenessFromMs))).toFixed(1)}" height="${rows.length * ROW_HEIGHT + 12}" fill="#e8f5e9"/>`,
      `<text x="${x(input.livenessFromMs)}" y="${TOP - 9}" fill="#2e7d32">liveness phase</text>`,
    );
  }
  drawRows(out, rows, x, endMs);
  // Time axis with about ten ticks at a round step.
  const stepMs = niceStep(endMs / 10);
  for (let t = 0; t <= endMs + 1e-9; t += stepMs) {
    out.push(
      `<line x1="${x(t)}" y1="${TOP - 4}" x2="${x(t)}" y2="${plotBottom + 4}" stroke="#cfd8dc" stroke-width="0.5"/>`,
      `<text x="${x(t)}" y="${plotBottom + 16}" text-anchor="middle">${(t / 1000).toFixed(stepMs < 1000 ? 1 : 0)}s</text>`,
    );
  }
  markerLines.forEach((marker, i) => {
    out.push(
      `<line x1="${x(marker.atMs)}" y1="${TOP - 4}" x2="${x(marker.atMs)}" y2="${plotBottom + 4}" stroke="#ef6c00" stroke-dasharray="3,2"/>`,
      `<text x="${x(marker.atMs)}" y="${plotBottom + 30}" text-anchor="middle" fill="#ef6c00">${i + 1}</text>`,
    );
  });
  if (input.violation !== undefined) {
    out.push(
      `<line x1="${x(input.violation.atMs)}" y1="${TOP - 8}" x2="${x(input.violation.atMs)}" y2="${plotBottom + 8}" stroke="#d50000" stroke-width="2"/>`,
    );
  }
  // Legend: states, then the numbered fault list.
  drawStateLegend(out, legendTop);
  markerLines.forEach((marker, i) => {
    out.push(
      `<text x="10" y="${legendTop + 20 + i * 14}" fill="#ef6c00">${i + 1}  ${seconds(marker.atMs)}  ${escapeXml(marker.label)}</text>`,
    );
  });
  let footY = legendTop + 20 + markerLines.length * 14;
  if (input.markers.length > markerLines.length) {
    out.push(
      `<text x="10" y="${footY}">… ${input.markers.length - markerLines.length} more faults (see the timeline)</text>`,
    );
    footY += 14;
  }
  if (hiddenRows > 0) out.push(`<text x="10" y="${footY + 4}">${hiddenRows} more routers not drawn</text>`);
  if (input.violation !== undefined) {
    out.push(
      `<text x="10" y="${height - 8}" fill="#d50000">VIOLATION at ${seconds(input.violation.atMs)}: ${escapeXml(input.violation.message)}</text>`,
    );
  }
  out.push('</svg>', '');
  return out.join('\n');
}

/** A rendered picture wrapped in a minimal HTML page. */
export function wrapSvgInHtml(title: string, svg: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeXml(title)}</title></head><body>\n${svg}</body></html>\n`;
}

function niceStep(roughMs: number): number {
  const steps = [
    100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000,
  ];
  return steps.find((s) => s >= roughMs) ?? 3_600_000 * Math.ceil(roughMs / 3_600_000);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
