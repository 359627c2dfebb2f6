/**
 * @module replay/replay-saga
 *
 * The definition a replay runs: the user's saga with its compensation handlers recorded instead of run
 * (a refund must not be paid again because a test replayed last week's orders) and its retry policies
 * off (an action or step that fails on the recorded input fails once, at once, instead of sleeping
 * through backoff). Everything that decides where an instance goes — handlers, guards, timeouts,
 * schedules, joins, data schema — is the user's, untouched.
 */
import { Saga, type AnySaga, type CompensationSpec, type EventSpec } from '../dsl/saga.ts';

/** What a recorded compensation step did in production, consumed in order as the replay runs steps. */
export type StepOutcome = 'ran' | 'failed';

/** The per-instance script the recording handlers follow; reset before each instance. */
export class CompensationScript {
  #outcomes: StepOutcome[] = [];
  /** The steps the replay's compensation runs asked for, in order, with their (validated) arguments. */
  readonly ran: Array<{ readonly step: string; readonly args: unknown }> = [];

  reset(outcomes: readonly StepOutcome[]): void {
    this.#outcomes = [...outcomes];
    this.ran.length = 0;
  }

  /** The next recorded outcome; a step the journal does not have "ran" (the comparison reports it). */
  next(): StepOutcome {
    return this.#outcomes.shift() ?? 'ran';
  }
}

/** Thrown by a recording handler where the journal says the step failed, so the replay fails it too. */
export class RecordedStepFailure extends Error {}

/**
 * @param runCompensations run the user's compensation handlers after all (their messages are then
 *   compared too); default false: recorded, not run
 * @example
 * const script = new CompensationScript();
 * const replayable = replaySaga(OrderSaga, script);
 */
export function replaySaga(saga: AnySaga, script: CompensationScript, runCompensations = false): AnySaga {
  const def = saga.definition;
  const compensations = new Map<string, CompensationSpec>();
  for (const [name, spec] of def.compensations) {
    compensations.set(name, {
      ...spec,
      handler: async (args, ctx) => {
        script.ran.push({ step: name, args });
        if (script.next() === 'failed') throw new RecordedStepFailure(`compensation step '${name}' failed here in the recorded history`);
        if (runCompensations) await spec.handler(args, ctx);
      },
    });
  }
  const events = new Map<string, EventSpec>();
  for (const [name, spec] of def.events) {
    const { retry: _retry, ...options } = spec.options;
    events.set(name, { ...spec, options });
  }
  return new Saga({ ...def, compensations, events, retry: undefined, compensationRetry: undefined });
}
