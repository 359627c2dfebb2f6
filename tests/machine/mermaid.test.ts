/**
 * `saga.toMermaid()` renders a Mermaid stateDiagram-v2 of the saga.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, defineSaga, InMemorySagaRepository, SagaOperations, toMermaid } from '../../src/index.ts';
import { createSagaflowApi } from '../../src/http/index.ts';
import { OrderSaga } from '../../examples/order-saga.ts';
import { ClaimSaga } from '../helpers/sagas.ts';

const Go = defineEvent('Go', z.object({}));
const Stop = defineEvent('Stop', z.object({}));
const Data = z.object({});

function lines(diagram: string): string[] {
  return diagram.split('\n').map((l) => l.trim());
}

describe('toMermaid', () => {
  it('renders the order saga: header, start, one labelled edge per transition, final states', () => {
    expect(OrderSaga.toMermaid().split('\n')).toEqual([
      'stateDiagram-v2',
      '  [*] --> Initial',
      '  Initial --> AwaitingPayment: OrderCreated',
      '  AwaitingPayment --> AwaitingInventory: PaymentProcessed',
      '  AwaitingPayment --> Failed: PaymentFailed',
      '  AwaitingInventory --> AwaitingShipment: InventoryReserved',
      '  AwaitingInventory --> Failed: InventoryReservationFailed / compensate',
      '  AwaitingShipment --> Completed: OrderShipped',
      '  AwaitingShipment --> Failed: ShippingFailed / compensate',
      '  Failed --> [*]',
      '  Completed --> [*]',
    ]);
  });

  it('shows guards, branch conditions (negated on the else side) and catch paths on the edges', () => {
    const diagram = lines(ClaimSaga.toMermaid());
    expect(diagram[0]).toBe('stateDiagram-v2');
    expect(diagram).toContain('[*] --> Initial');
    expect(diagram).toContain('Initial --> InReview: ClaimSubmitted [isLarge]');
    expect(diagram).toContain('Initial --> FastTrack: ClaimSubmitted [isUrgent]');
    expect(diagram).toContain('Initial --> InReview: ClaimSubmitted [not isUrgent]');
    expect(diagram).toContain('InReview --> Paying: ClaimReviewed [approved and highScore]');
    expect(diagram).toContain('InReview --> Escalated: ClaimReviewed [approved and not highScore and bigClaim]');
    expect(diagram).toContain('InReview --> Rejected: ClaimReviewed');
    expect(diagram).toContain('Paying --> Paid: PaymentAttempted');
    expect(diagram).toContain('Paying --> Retry: PaymentAttempted catch PaymentDeclined');
    for (const final of ['Paid', 'Rejected', 'Withdrawn']) expect(diagram).toContain(`${final} --> [*]`);
  });

  it('draws a chain that stays in its state as a self-loop', () => {
    expect(lines(ClaimSaga.toMermaid())).toContain('InReview --> InReview: ClaimReviewed [approved and not highScore and not bigClaim]');
  });

  it('draws duringAny handlers from every state they apply to, except where a state overrides them', () => {
    const diagram = lines(ClaimSaga.toMermaid());
    for (const state of ['InReview', 'FastTrack', 'Escalated', 'Retry']) {
      expect(diagram).toContain(`${state} --> Withdrawn: ClaimWithdrawn`);
      expect(diagram).toContain(`${state} --> Escalated: Reminder [reviewedTwice]`);
    }
    expect(diagram).not.toContain('Paying --> Withdrawn: ClaimWithdrawn');
    expect(diagram.filter((l) => l.startsWith('Initial -->')).every((l) => !l.includes('ClaimWithdrawn'))).toBe(true);
  });

  it('draws no edge for an ignored event', () => {
    expect(lines(OrderSaga.toMermaid()).filter((l) => l.endsWith(': OrderCreated'))).toEqual(['Initial --> AwaitingPayment: OrderCreated']);
  });

  it("ends finalize()-alone chains in the 'Final' state", () => {
    const saga = defineSaga('final-alone', { data: Data, states: ['Open'] })
      .initially((s) => s.when(Go).transitionTo('Open'))
      .during('Open', (s) => s.when(Stop).finalize());
    const diagram = lines(saga.toMermaid());
    expect(diagram).toContain('Open --> Final: Stop');
    expect(diagram).toContain('Final --> [*]');
  });

  it('aliases state names with spaces or dashes, and uses the alias in edges', () => {
    const saga = defineSaga('aliases', { data: Data, states: ['Awaiting Payment', 'in-review', 'Done'] })
      .initially((s) => s.when(Go).transitionTo('Awaiting Payment'))
      .during('Awaiting Payment', (s) => s.when(Go).transitionTo('in-review'))
      .during('in-review', (s) => s.when(Stop).transitionTo('Done').finalize());
    const diagram = lines(saga.toMermaid());
    const alias = (name: string) => {
      const line = diagram.find((l) => l.startsWith(`state "${name}" as `));
      expect(line, `an alias line for '${name}'`).toBeDefined();
      const id = line!.slice(`state "${name}" as `.length);
      expect(id).toMatch(/^[A-Za-z0-9_]+$/);
      return id;
    };
    const awaiting = alias('Awaiting Payment');
    const review = alias('in-review');
    expect(diagram.some((l) => l.startsWith('state "Done"'))).toBe(false);
    expect(diagram).toContain(`Initial --> ${awaiting}: Go`);
    expect(diagram).toContain(`${awaiting} --> ${review}: Go`);
    expect(diagram).toContain(`${review} --> Done: Stop`);
    expect(diagram.join('\n')).not.toMatch(/--> (Awaiting Payment|in-review)/);
  });

  it('keeps states distinct whose names alias to the same identifier', () => {
    const saga = defineSaga('alias-collision', { data: Data, states: ['in-review', 'in_review', 'in review'] })
      .initially((s) =>
        s
          .when(Go)
          .transitionTo('in-review')
          .when(Stop)
          .transitionTo('in_review'),
      )
      .during('in-review', (s) => s.when(Go).transitionTo('in review'));
    const diagram = lines(saga.toMermaid());
    const idOf = (name: string) =>
      diagram.find((l) => l.startsWith(`state "${name}" as `))?.slice(`state "${name}" as `.length) ?? name;
    const ids = ['in-review', 'in_review', 'in review'].map(idOf);
    expect(new Set(ids).size).toBe(3);
  });

  it('can highlight a current state', () => {
    const diagram = lines(toMermaid(OrderSaga.compiled, { highlight: 'AwaitingPayment' }));
    expect(diagram).toContain('class AwaitingPayment current');
    expect(diagram.some((l) => l.startsWith('classDef current'))).toBe(true);
  });

  describe('with hostile state names', () => {
    const HOSTILE = ['A"]; click A call alert(1)', 'B\nclick B call alert(2)', 'C\r\n%%{init: {"securityLevel": "loose"}}%%', 'D;class D current'];
    /** Lines that would be Mermaid statements of their own if a name got out of its quotes or line. */
    const injected = (diagram: string) => diagram.split('\n').filter((l) => /^\s*(click|%%|class D)/.test(l) || /alert\(/.test(l.replace(/state "[^"]*" as \w+$/, '')));

    it('never pastes a highlighted state that the definition lacks: it is dropped', () => {
      const plain = toMermaid(OrderSaga.compiled);
      for (const highlight of HOSTILE) {
        const diagram = toMermaid(OrderSaga.compiled, { highlight });
        expect(diagram).toBe(plain);
        expect(diagram).not.toMatch(/click|alert|securityLevel/);
      }
    });

    it('quotes declared names so that no quote, line break or semicolon ends them, and highlights them by alias', () => {
      const saga = defineSaga('hostile', { data: Data, states: HOSTILE })
        .initially((s) => s.when(Go).transitionTo(HOSTILE[0]!))
        .during(HOSTILE[0]!, (s) => s.when(Go).transitionTo(HOSTILE[1]!).when(Stop).transitionTo(HOSTILE[2]!))
        .during(HOSTILE[1]!, (s) => s.when(Go).transitionTo(HOSTILE[3]!));
      const diagram = toMermaid(saga.compiled, { highlight: HOSTILE[1]! });
      expect(injected(diagram)).toEqual([]);
      const aliases = diagram.split('\n').filter((l) => l.trim().startsWith('state '));
      expect(aliases).toHaveLength(HOSTILE.length);
      for (const line of aliases) expect(line).toMatch(/^ {2}state "[^"\n\r;]*" as [A-Za-z0-9_]+$/);
      const highlighted = diagram.split('\n').filter((l) => l.trim().startsWith('class '));
      expect(highlighted).toEqual(['  class B_click_B_call_alert_2_ current']);
      expect(diagram.split('\n').filter((l) => l.includes('-->')).every((l) => /^ {2}(\[\*\]|\w+) --> (\[\*\]|\w+)(: [^;\n]*)?$/.test(l))).toBe(true);
    });

    it('serves a diagram whose highlight comes from a request without the hostile text (the dashboard passes the stored state)', async () => {
      const api = createSagaflowApi(new SagaOperations({ repository: new InMemorySagaRepository(), sagas: [OrderSaga] }), { dashboard: false });
      for (const highlight of HOSTILE) {
        const response = await api.request(`/api/sagas/order/diagram?${new URLSearchParams({ highlight })}`);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(OrderSaga.toMermaid());
      }
      await api.close();
    });
  });
});
