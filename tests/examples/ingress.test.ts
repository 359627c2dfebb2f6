import { describe, expect, it } from 'vitest';
import { runIngressExample } from '../../examples/ingress.ts';

describe('examples/ingress.ts', () => {
  it('publishes with the typed client, takes a webhook twice as handled then duplicate, and waits for the state', async () => {
    const lines: string[] = [];
    const result = await runIngressExample((line) => lines.push(line));
    expect(result).toMatchObject({ created: 'handled', webhook: ['200 handled', '200 duplicate'], state: 'AwaitingInventory' });
    // The curl line it prints is the request it sent.
    const body = /-d '(.*)'$/.exec(result.curl)?.[1];
    expect(JSON.parse(body!)).toMatchObject({ type: 'PaymentProcessed', messageId: 'psp-evt-981' });
    expect(result.curl).toMatch(/^curl -sS -X POST http:\/\/127\.0\.0\.1:\d+\/api\/ingress\/events -H 'Authorization: Bearer \S+' -H 'Content-Type: application\/json'/);
    expect(lines.at(-1)).toBe('dashboard: order o-42 is AwaitingInventory (version 2)');
  });
});
