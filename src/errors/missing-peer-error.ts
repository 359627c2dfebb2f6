import { SagaflowError } from './sagaflow-error.ts';

export const PEER_MISSING = 'SAGA_PEER_MISSING';

/**
 * An optional peer dependency that the part of Sagaflow in use needs is not installed (`sagaflow/prisma`
 * needs `@prisma/client`, `@prisma/adapter-pg` and `pg`, for example). The message names the package and
 * the command that installs what the feature needs; `cause` keeps Node's module-resolution error.
 */
export class MissingPeerError extends SagaflowError {
  /** The package that could not be loaded. */
  readonly peer: string;
  /** The feature that needs it (`sagaflow/prisma`, `the embedded PGlite database`, …). */
  readonly feature: string;
  /** The command that installs every peer the feature needs. */
  readonly install: string;

  constructor(peer: string, feature: string, install: string, options?: { cause?: unknown }) {
    super(PEER_MISSING, `${feature} needs the package '${peer}', which is not installed: run \`${install}\``, options);
    this.peer = peer;
    this.feature = feature;
    this.install = install;
  }
}
