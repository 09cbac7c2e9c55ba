/**
 * Why a call into the component failed as a call — as opposed to the component answering with
 * one of its typed WIT errors, which is a result, not a failure.
 */

/** The kinds of call failure, as `omni-host` names them. */
export type PluginFailureKind =
  /** The guest computed past its budget, or the call ran past its wall-clock bound. */
  | 'timeout'
  /** The guest grew its memory past the limit. */
  | 'memory'
  /** The guest trapped (a panic, `unreachable`...). */
  | 'trap'
  /** The component process died (engine abort, killed from outside). */
  | 'crashed'
  /** A capability the plugin provides failed. */
  | 'host'
  /** No component process could take the call (too many waiting, or shut down). */
  | 'unavailable';

export class PluginFailure extends Error {
  constructor(
    readonly kind: PluginFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'PluginFailure';
  }
}
