/**
 * @module commands/headers
 * Envelope headers that route commands and their outcomes.
 */
import type { CommandDefinition } from '../messages/message-definition.ts';

/** The worker group a command is for (Orchestratum's `Target`); handlers of other groups leave it alone. */
export const TARGET_HEADER = 'sagaflow-target';

/** The headers a command travels with: its definition's target unless the sender chose one. */
export function commandHeaders(
  message: { readonly kind: string; readonly policy?: CommandDefinition['policy'] },
  headers: Readonly<Record<string, string>> | undefined,
  target: string | undefined,
): Readonly<Record<string, string>> | undefined {
  const chosen = target ?? headers?.[TARGET_HEADER] ?? (message.kind === 'command' ? message.policy?.target : undefined);
  if (chosen === undefined || headers?.[TARGET_HEADER] === chosen) return headers;
  return { ...headers, [TARGET_HEADER]: chosen };
}
