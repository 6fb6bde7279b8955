export type { ByteSize, CacheOptions, CacheStats } from './cache/options.js'
export type { CacheStatus } from './cache/status.js'
export {
  type ConnectFailureAdvice,
  type ConnectFailureKind,
  type ConnectFailureTarget,
  describeConnectFailure,
  socketConnectFailure,
} from './connect-failure.js'
export { BaseConnection } from './connection.js'
// What an adapter implements and may override, in the order an author meets it (contract.ts).
export type {
  CacheIdentityHooks,
  CompiledSql,
  ConfigLayer,
  ConnectionClass,
  ConnectionEvents,
  ConnectionHooks,
  Decode,
  DrainablePool,
  DrainOptions,
  FieldInit,
  LogicalType,
  NativeContext,
  NativeLayers,
  OptionSpec,
  OptionType,
  Placeholder,
  QueryHooks,
  ResolvedOption,
  SourceKind,
  SqlAdapterHooks,
  TimeUnit,
  TransientErrorHooks,
  ValueSource,
} from './contract.js'
export { missingOptionRows, optionsTable } from './docs.js'
export type { Duration } from './duration.js'
export {
  AdapterNotInstalledError,
  CacheUnavailableError,
  ConfigError,
  ConnectionClosedError,
  ConnectionError,
  InvalidAdapterError,
  MissingOptionsError,
  OptionalDependencyError,
  ParameterError,
  QueryError,
  SecretsFileError,
  SqlconnError,
  type SqlconnErrorCode,
  UnknownConnectionTypeError,
} from './errors.js'
export { type ConnectionOptions, closeAll, connection } from './factory.js'
export { type FileUrlForm, fileFromUrl, withFileOption } from './file-url.js'
export { type AdapterPackage, adapterPackage, type ConnectionSection, connectionSections } from './inspect.js'
export { type KyselyModule, loadKysely } from './kysely.js'
export { declareOptions, type OptionRole, type RoleOption } from './option-roles.js'
export { endWhenIdle, isNetworkErrorCode, NETWORK_ERROR_CODES } from './pool.js'
export { isGiven, partOf, withUrlParts } from './precedence.js'
export { maskUrlPasswords } from './redact.js'
export { ResolvedConfig } from './resolved-config.js'
export type { RetryOptions } from './retry.js'
export {
  type ArrowStreamOptions,
  type Compilable,
  type Params,
  type QueryOptions,
  SqlConnection,
  type SqlConnectionOptions,
  type StreamOptions,
} from './sql-connection.js'
export type { ArrowOptions } from './table/arrow.js'
export { useArrow } from './table/arrow-module.js'
export { TableBuilder, tableFromRows } from './table/builder.js'
export { Column, type Row, RowTable } from './table/table.js'
export type { Field, Schema } from './table/types.js'
