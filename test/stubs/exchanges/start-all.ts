/**
 * `npm run exchanges:stub`: every stub exchange on loopback, with the exports and demo
 * credentials to paste, until Ctrl-C. EXCHANGE_STUB_BASE_PORT=9100 pins ports 9100..9106.
 */
import { START_STUB } from './index';
import { DEMO_KEYS, demoCredential, type StubExchange } from './stub-keys';
import type { RunningStub } from './stub-server';

const EXCHANGES: StubExchange[] = ['binance', 'okx', 'bybit', 'bitget', 'gate', 'bingx', 'kucoin'];

async function main(): Promise<void> {
  const base = Number(process.env.EXCHANGE_STUB_BASE_PORT ?? 0);
  const running: RunningStub[] = [];
  const lines: string[] = [];
  for (const [i, exchange] of EXCHANGES.entries()) {
    const stub = await START_STUB[exchange]({}, base ? base + i : 0);
    running.push(stub);
    lines.push(`export VAULT_EXCHANGE_URL_${exchange.toUpperCase()}=${stub.url}`);
  }
  const out = process.stdout;
  out.write('# Stub exchanges on loopback. Paste these before starting the vault:\n');
  out.write(`${lines.join('\n')}\n`);
  out.write('export VAULT_EXCHANGE_CHECK=required\n');
  out.write('export VAULT_EXCHANGE_ALLOW_UNKNOWN=gate:withdraw   # Gate cannot prove a key unable to withdraw\n\n');
  out.write('# Demo credentials (value of a PUT with "kind":"exchange-api-key"):\n');
  for (const exchange of EXCHANGES) {
    for (const [name] of DEMO_KEYS) {
      out.write(`# ${exchange.padEnd(8)} ${name.padEnd(14)} ${JSON.stringify(demoCredential(exchange, name))}\n`);
    }
  }
  out.write('# demo-trade: derivatives, no withdraw, IP-bound (127.0.0.1); demo-withdraw: can withdraw;\n');
  out.write('# demo-readonly: read only; demo-noip: no IP bound, with an expiry where the exchange reports one.\n');
  out.write('# Failures by key (secret demo-secret): fixture-unknown, fixture-ip-blocked, fixture-rate-limited,\n');
  out.write('# fixture-server-error, fixture-hang. Ctrl-C to stop.\n');

  const stop = async () => {
    await Promise.all(running.map((stub) => stub.close()));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`exchange stubs failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
