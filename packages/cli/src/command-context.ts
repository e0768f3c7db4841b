import type { CommonConfig, Logger } from '@wharf/core';
import type { EtcdClient } from './etcd-session.js';
import type { Palette } from './render/palette.js';

/** What every command gets from main: validated config, an etcd client and where to write. */
export interface CommandContext {
  readonly config: CommonConfig;
  readonly client: EtcdClient;
  readonly logger: Logger;
  readonly json: boolean;
  readonly palette: Palette;
  readonly write: (text: string) => void;
  /** One line to stderr, prefixed `wharf: warning:`. */
  readonly warn: (text: string) => void;
  readonly now: () => number;
}
