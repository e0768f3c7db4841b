import Table from 'cli-table3';
import type { Palette } from './palette.js';

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/**
 * A borderless, column-aligned table (kubectl-style), so output reads the same in a terminal
 * and in a pipe and lines can be grepped. Cells may hold several lines.
 */
export function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  palette: Palette,
): string {
  const table = new Table({
    head: head.map((title) => palette.bold(title)),
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push([...row]);
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
}
