export { connection, closeAll, type ConnectionOptions } from './factory.js'
export {
  BaseConnection,
  type ConnectionClass,
  type ConnectionEvents,
  type NativeContext,
  RESERVED_OPTIONS,
} from './connection.js'
export {
  SqlConnection,
  type Compilable,
  type Params,
  type QueryOptions,
  type SqlConnectionOptions,
  type StreamOptions,
} from './sql-connection.js'
export type { CacheOptions } from './cache.js'
export type { RetryOptions } from './retry.js'
export type { Duration } from './duration.js'
export type { CompiledSql, Placeholder } from './params.js'
export {
  type ConfigLayer,
  type OptionSpec,
  type OptionType,
  ResolvedConfig,
  type ResolvedOption,
  type SourceKind,
  maskUrlPasswords,
} from './options.js'
export { resolveConnectionType, BUILTIN_TYPES } from './registry.js'
export { RowTable, Column, type Row } from './table/table.js'
export { TableBuilder, type FieldInit, tableFromRows } from './table/builder.js'
export type { Field, LogicalType, Schema } from './table/types.js'
export { optionsTable } from './docs.js'
export {
  AdapterNotInstalledError,
  ConfigError,
  ConnectionClosedError,
  OptionalDependencyError,
  ParameterError,
  QueryError,
  SecretsFileError,
  SqlconnError,
  type SqlconnErrorCode,
  UnknownConnectionTypeError,
} from './errors.js'
