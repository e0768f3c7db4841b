// The public API of @wharf/core: what the wharf programs and applications use. Modules not named
// here are internal.
export { aborted, whenAborted } from './abort-signal.js';
export { addressesVariable, clashingServices, formatAddresses } from './addresses-variable.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export {
  type CommonConfig,
  type EtcdConfig,
  type LogConfig,
  loadCommonConfig,
  readCommonConfig,
} from './common-config.js';
export { ConfigReader, type Env } from './config-reader.js';
export { formatDuration, parseDuration } from './duration.js';
export {
  ConfigError,
  EtcdUnavailableError,
  InvalidNameError,
  InvalidRecordError,
  LabelError,
  LeaseNotFoundError,
  PrivateKeyDecryptionError,
  PrivateKeyUnavailableError,
  UnknownVersionError,
  WatchCompactedError,
  WatchInterruptedError,
  WharfError,
} from './errors.js';
export { createEtcdClient, type EtcdClient, type EtcdClientOptions } from './etcd-client.js';
export { EtcdGateway, type EtcdGatewayOptions } from './etcd-gateway.js';
export type {
  CallOptions,
  EtcdStore,
  LeaseStatus,
  RangeOptions,
  RangeResult,
  StoredKeyValue,
  WatchEvent,
  WatchHandle,
  WatchListener,
  WatchRequest,
  WatchResponse,
} from './etcd-store.js';
export { prefixEnd } from './etcd-store.js';
export { etcd3Store, toEtcdStore } from './etcd3-store.js';
export { formatHostPort } from './host-port.js';
export { type AcmeSection, KeyLayout, type ParsedKey } from './key-layout.js';
export { listPrefix, type PrefixListing } from './list-prefix.js';
export { createLineWriter, createLogger, type LineWriter, type Logger, silentLogger } from './logger.js';
export { assertValidName, instanceId, isValidName, serviceNameFromImage } from './names.js';
export { PrivateKeyCipher, parseKeyFile } from './private-key-cipher.js';
export { type ExitCodes, type ProgramOptions, type ProgramProcess, runProgram } from './program.js';
export {
  type BridgeRecord,
  type DrainRecord,
  decodeBridgeRecord,
  decodeDrainRecord,
  decodeEndpointRecord,
  decodeRouteRecord,
  type EndpointRecord,
  type EndpointState,
  encodeRecord,
  type HttpRoute,
  pathPrefix,
  RECORD_VERSION,
  type RouteRecord,
  routeHost,
} from './records.js';
export { type RegistryChange, RegistryContents, type RegistryState } from './registry-contents.js';
export {
  decodeRegistryEntry,
  type RecordKind,
  type RecordKinds,
  type RegistryEntry,
  type RejectedEntry,
} from './registry-entry.js';
export { type RegistryUpdate, ServiceWatcher, type ServiceWatcherOptions } from './service-watcher.js';
export { isServing } from './serving.js';
export {
  booleanSetting,
  durationSetting,
  integerSetting,
  listSetting,
  nameSetting,
  oneOfSetting,
  type Parsed,
  parseSetting,
  type Setting,
  textSetting,
} from './settings.js';
export { type SupervisedRun, Supervisor, type SupervisorOptions } from './supervisor.js';
export {
  ACME_CHALLENGE_TYPES,
  type AcmeAccountRecord,
  type AcmeChallengeRecord,
  type AcmeChallengeType,
  type AcmeLockRecord,
  type AcmeStatusRecord,
  type CertificateRecord,
  certificateRecordSchema,
  decodeAcmeAccountRecord,
  decodeAcmeChallengeRecord,
  decodeAcmeLockRecord,
  decodeAcmeStatusRecord,
  decodeCertificateRecord,
  type SealedKey,
  type StoredPrivateKey,
} from './tls-records.js';
export { WHARF_VERSION } from './version.js';
export { type WatchServiceOptions, watchService } from './watch-service.js';
export { preferZone, zoneOf } from './zones.js';
