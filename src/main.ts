import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfig } from './core/config/config';
import { createApp } from './app';

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // V8 lets the old space grow to 2-4 times the live heap under load and keeps it; a smaller factor
  // holds the server near its live size for a few more full collections (see README, Memory).
  if (config.heapGrowingPercent > 0 && !process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent') || arg.startsWith('--heap_growing_percent'))) {
    setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  }
  const { app, close } = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  app.getHttpAdapter().getInstance().log.info(
    { port: config.port, database: config.databaseUrl ? 'postgres' : `embedded (${config.dataDir})`, docs: `${config.publicUrl}/api/docs` },
    'Hearth is listening',
  );
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.getHttpAdapter().getInstance().log.info({ signal }, 'shutting down');
    await close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`Hearth failed to start: ${err?.stack ?? err}\n`);
  process.exit(1);
});
