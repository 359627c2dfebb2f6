import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

describe('examples/joins.ts', () => {
  it('ships each order once payment and stock have both arrived, whichever came first', { timeout: 60_000 }, async () => {
    const { stdout } = await run(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'examples/joins.ts')], { cwd: repo });
    expect(stdout).toContain('after PaymentCaptured: Preparing, join arrived {"ReadyToShip":["PaymentCaptured"]}');
    expect(stdout).toContain('after StockReserved: Preparing, join arrived {"ReadyToShip":["StockReserved"]}');
    expect(stdout.match(/join complete, ReadyToShip raised/g)).toHaveLength(2);
    expect(stdout.match(/-> ShipmentRequested/g)).toHaveLength(2);
    expect(stdout).toContain('-> ShipmentRequested {"orderId":"order-2","transactionId":"tx-order-2","reservationId":"res-order-2"}');
    expect(stdout).toContain('order-1 is Shipping; history: OrderPlaced > PaymentCaptured > StockReserved > ReadyToShip');
    expect(stdout).toContain('order-2 is Shipping; history: OrderPlaced > StockReserved > PaymentCaptured > ReadyToShip');
  });
});
