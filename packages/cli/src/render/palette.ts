import picocolors from 'picocolors';

export type Palette = ReturnType<typeof picocolors.createColors>;

/**
 * Colours for human output, or none: only when writing to a terminal, and never when
 * `NO_COLOR` is set (https://no-color.org) or `--no-color` was given.
 */
export function createPalette(enabled: boolean): Palette {
  return picocolors.createColors(enabled);
}

export interface ColourSettings {
  readonly isTTY: boolean;
  readonly noColorEnv: string | undefined;
  readonly colorFlag: boolean;
}

export function colourEnabled({ isTTY, noColorEnv, colorFlag }: ColourSettings): boolean {
  return isTTY && colorFlag && (noColorEnv === undefined || noColorEnv === '');
}
