/**
 * Every error wharf raises has a stable `code`; tests and callers branch on the code, never on
 * the message. Foreign errors (etcd, Docker, sockets) are wrapped once, at the boundary, with
 * the original kept as `cause`.
 */
export class WharfError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An environment variable, flag or label value that does not parse. */
export class ConfigError extends WharfError {
  readonly variable: string;
  readonly value: string | undefined;

  constructor(variable: string, value: string | undefined, expected: string) {
    super(
      'WHARF_CONFIG_INVALID',
      `${variable}=${JSON.stringify(value ?? '')} is invalid: expected ${expected}`,
    );
    this.variable = variable;
    this.value = value;
  }
}

/** A service name, instance id, bridge id or route id that cannot be used in a key. */
export class InvalidNameError extends WharfError {
  constructor(kind: string, name: string) {
    super(
      'WHARF_INVALID_NAME',
      `invalid ${kind} ${JSON.stringify(name)}: expected 1-253 characters of A-Z a-z 0-9 . _ : -`,
    );
  }
}

/** A value under the prefix that is not a record wharf can use. */
export class InvalidRecordError extends WharfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WHARF_INVALID_RECORD', message, options);
  }
}

/** A record written by a newer wharf (its `v` is unknown here); skipped, not an error upstream. */
export class UnknownVersionError extends WharfError {
  constructor(version: unknown) {
    super('WHARF_UNKNOWN_VERSION', `unknown record version ${JSON.stringify(version)}`);
  }
}

/** etcd could not be reached or refused the call. */
export class EtcdUnavailableError extends WharfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WHARF_ETCD_UNAVAILABLE', message, options);
  }
}

/** etcd no longer knows a lease (it expired or was revoked): its keys are gone. */
export class LeaseNotFoundError extends WharfError {
  constructor(leaseId: string, options?: { cause?: unknown }) {
    super('WHARF_LEASE_NOT_FOUND', `lease ${leaseId} not found: it expired or was revoked`, options);
  }
}

/** The watch was cancelled by etcd because its start revision was compacted away. */
export class WatchCompactedError extends WharfError {
  constructor(options?: { cause?: unknown }) {
    super('WHARF_WATCH_COMPACTED', 'watch revision was compacted; re-listing', options);
  }
}

/** The watch stream ended or was cancelled; the watcher starts over from a fresh list. */
export class WatchInterruptedError extends WharfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WHARF_WATCH_INTERRUPTED', message, options);
  }
}

/** Per-container configuration (labels or env) that cannot be used; the container is skipped. */
export class LabelError extends WharfError {
  readonly label: string;
  readonly value: string;

  constructor(label: string, value: string, expected: string) {
    super('WHARF_LABEL_INVALID', `${label}=${JSON.stringify(value)} is invalid: expected ${expected}`);
    this.label = label;
    this.value = value;
  }
}

/** A sealed private key that this program cannot open: no `WHARF_TLS_KEY_FILE`, or another key. */
export class PrivateKeyUnavailableError extends WharfError {
  constructor(message: string) {
    super('WHARF_TLS_KEY_UNAVAILABLE', message);
  }
}

/** A sealed private key whose authentication failed: altered, or sealed under another key. */
export class PrivateKeyDecryptionError extends WharfError {
  constructor(options?: { cause?: unknown }) {
    super('WHARF_TLS_KEY_DECRYPTION', 'sealed private key failed authentication', options);
  }
}
