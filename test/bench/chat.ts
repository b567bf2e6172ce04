/**
 * `npm run bench:chat`: live chat delivery against the real server (issue 13, "Performance").
 *
 * The server runs as a child process (node dist/src/main.js) on a scratch database: PostgreSQL when
 * DATABASE_URL is set (a scratch database next to it, dropped at the end), else the embedded database in
 * a temporary DATA_DIR. Over HTTP: the admin logs in, creates a community, raises its chat rate limits to
 * the maximum and opens a public room; BENCH_CHAT_USERS members register (argon2 on the server, so a few
 * at a time) and join the community; the first BENCH_CHAT_SENDERS are made staff (exempt from the chat
 * rate limit). Then BENCH_CHAT_CLIENTS real socket.io clients (websocket transport; socket k belongs to
 * member k mod users, at most 10 per member) connect and join the room. The senders' sockets live in
 * this process, with the sending timer; every other socket lives in BENCH_CHAT_WORKERS forked client
 * processes (chat-client.ts), so the receivers' work does not delay the timer.
 *
 * Measured: BENCH_CHAT_RATE messages per second in total, at a steady pace, sender after sender, for
 * BENCH_CHAT_SECONDS; each body carries its send time on the machine's monotonic clock, and every
 * receiving socket records send-to-receipt. Expected deliveries are messages sent x sockets in the room
 * (the server broadcasts to the whole room, senders included); lost = expected - received. The server's
 * RSS is read before any socket connects, with every socket connected, and after the run; CPU use of the
 * server, this process, the client workers and the whole machine over the measured window.
 *
 * Then, with DATABASE_URL and REDIS_URL, the same with two instances on one scratch database behind the
 * Redis streams adapter: sockets and senders alternate between the instances, so about half of every
 * message's deliveries cross instances (reported apart). Last, a summary with the issue's targets.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench:chat
 *   BENCH_CHAT_CLIENTS (1000)  BENCH_CHAT_SECONDS (30)  BENCH_CHAT_RATE (20)  BENCH_CHAT_SENDERS (10)
 *   BENCH_CHAT_USERS (clients / 5, rounded up)  BENCH_CHAT_WORKERS (2 client processes)
 *   BENCH_CHAT_INSTANCES ("1,2": which runs; 2 needs DATABASE_URL and REDIS_URL)
 *   BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": node flags for the server)
 * Exit code: 0 when every run completed (verdicts are in the table), 1 when a set-up or run failed.
 */
import * as os from 'node:os';
import { clockMs, ClientGroup, ConnectReport, GroupResult, messageBody, SocketSpec } from './chat-client';
import { formatStats, int, latencyStats, loadLine, machineCpuMs, mb, ms, pctOfCore, processCpuMs, RunSummary, summaryTable, TARGETS } from './chat-report';
import { Cleanups, Instance, readSettings, sampleAll, setUpWorld, Settings, startInstances, Worker } from './chat-setup';
import { machineInfo } from './harness';

// ---------------------------------------------------------------------------------------------
// Clean-up: everything started is stopped, also on error or Ctrl-C
// ---------------------------------------------------------------------------------------------

const cleanups: Cleanups = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${err?.message ?? err}\n`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
const out = (line = '') => process.stdout.write(line + '\n');
const note = (line: string) => process.stderr.write(line + '\n');

async function runScenario(s: Settings, instanceCount: number): Promise<RunSummary> {
  const name = instanceCount === 1 ? '1 instance' : `${instanceCount} instances + Redis`;
  const mark = cleanups.length;
  try {
    note(`\n== ${name}: starting the server${instanceCount > 1 ? 's' : ''}`);
    const { instances, dbLabel } = await startInstances(s, instanceCount, cleanups);
    const world = await setUpWorld(instances[0].server.baseUrl, s);
    await sampleAll(instances, 'baseline', 'set-up, no socket');

    // Sockets: k belongs to member k mod users, on instance k mod instances; senders are sockets 0..senders-1 (here).
    const specs: SocketSpec[] = Array.from({ length: s.clients }, (_, k) => ({
      index: k,
      url: instances[k % instanceCount].server.baseUrl,
      token: world.tokens[k % s.users],
      instance: k % instanceCount,
    }));
    const maxMessages = s.seconds * s.rate + 1;
    const local = new ClientGroup(maxMessages);
    cleanups.push(() => local.close());
    const workers = Array.from({ length: s.workers }, (_, i) => new Worker(i));
    cleanups.push(() => Promise.all(workers.map((w) => w.close())).then(() => undefined));
    const shares: SocketSpec[][] = workers.map(() => []);
    specs.slice(s.senders).forEach((spec, i) => shares[i % workers.length].push(spec));

    note(`connecting ${s.clients} sockets (${s.senders} sender sockets here, ${s.clients - s.senders} in ${workers.length} client processes)...`);
    const connectStarted = clockMs();
    const reports: ConnectReport[] = await Promise.all([
      local.connect(specs.slice(0, s.senders), world.roomId, 8),
      ...workers.map((w, i) => w.ask({ type: 'connect', specs: shares[i], roomId: world.roomId, concurrency: 16, maxMessages }, 'connected').then((r) => r.report)),
    ]);
    const connectSeconds = (clockMs() - connectStarted) / 1000;
    const joined = reports.reduce((a, r) => a + r.joined, 0);
    const failures = reports.flatMap((r) => r.errors);
    if (joined !== s.clients) throw new Error(`only ${joined} of ${s.clients} sockets connected and joined the room; first failures: ${failures.join('; ')}`);
    const slowestConnect = Math.max(...reports.map((r) => r.connectSeconds));
    const slowestJoin = Math.max(...reports.map((r) => r.joinSeconds));
    await sleep(2000);
    await sampleAll(instances, 'connected', `${s.clients} sockets connected`);

    // The measured window.
    const senders = local.sockets.slice(0, s.senders).sort((a, b) => a.spec.index - b.spec.index);
    const total = s.seconds * s.rate;
    const interval = 1000 / s.rate;
    const acks: Array<Promise<void>> = [];
    const ackTimes = new Float64Array(total);
    const ackErrors = new Map<string, number>();
    let ackFailures = 0;
    local.start();
    await Promise.all(workers.map((w) => w.ask({ type: 'start' }, 'started')));
    const cpu0 = { servers: instances.map((i) => processCpuMs(i.server.pid)), workers: workers.map((w) => processCpuMs(w.pid)), self: process.cpuUsage(), machine: machineCpuMs() };
    const t0 = clockMs();
    let maxLag = 0;
    note(`sending ${total} messages at ${s.rate}/s from ${s.senders} senders...`);
    for (let i = 0; i < total; i++) {
      const due = t0 + i * interval;
      const wait = due - clockMs();
      if (wait > 1) await sleep(wait);
      const sentAt = clockMs();
      maxLag = Math.max(maxLag, sentAt - due);
      const sender = senders[i % senders.length];
      acks.push(
        sender.socket
          .timeout(10_000)
          .emitWithAck('message:send', { roomId: world.roomId, body: messageBody({ index: i, instance: sender.spec.instance, sentAt }), clientId: `bench-${i}` })
          .then(
            (ack: { ok: boolean; error?: { code: string } }) => {
              ackTimes[i] = clockMs() - sentAt;
              if (!ack?.ok) {
                ackFailures += 1;
                ackErrors.set(ack?.error?.code ?? 'BAD_ACK', (ackErrors.get(ack?.error?.code ?? 'BAD_ACK') ?? 0) + 1);
              }
            },
            (err: Error) => {
              ackTimes[i] = Number.NaN;
              ackFailures += 1;
              ackErrors.set(err.message, (ackErrors.get(err.message) ?? 0) + 1);
            },
          ),
      );
    }
    const sendSeconds = (clockMs() - t0) / 1000;
    await Promise.all(acks);
    const expected = total * s.clients;
    const receivedNow = async () => local.received() + (await Promise.all(workers.map((w) => w.ask({ type: 'count' }, 'count')))).reduce((a, r) => a + r.received, 0);
    const drainDeadline = clockMs() + 10_000;
    while ((await receivedNow()) < expected && clockMs() < drainDeadline) await sleep(100);
    const wallMs = clockMs() - t0;
    const cpu1 = { servers: instances.map((i) => processCpuMs(i.server.pid)), workers: workers.map((w) => processCpuMs(w.pid)), self: process.cpuUsage(cpu0.self), machine: machineCpuMs() };

    const results: GroupResult[] = [local.result(), ...(await Promise.all(workers.map((w) => w.ask({ type: 'collect' }, 'result').then((r) => r.result))))];
    await sleep(2000);
    await sampleAll(instances, 'after', 'the run');

    // Figures.
    const n = results.reduce((a, r) => a + r.received, 0);
    const all = new Float64Array(n);
    const crossed = new Uint8Array(n);
    let offset = 0;
    for (const r of results) {
      all.set(r.latencies, offset);
      crossed.set(r.crossed, offset);
      offset += r.received;
    }
    // Per message: its first receipt (the server's work before the fan-out) and the spread to its last (the fan-out).
    const first = new Float64Array(total).fill(Number.POSITIVE_INFINITY);
    const last = new Float64Array(total).fill(Number.NEGATIVE_INFINITY);
    for (const r of results) {
      for (let k = 0; k < r.received; k++) {
        const m = r.messages[k];
        if (r.latencies[k] < first[m]) first[m] = r.latencies[k];
        if (r.latencies[k] > last[m]) last[m] = r.latencies[k];
      }
    }
    const delivered = first.map((_, m) => m).filter((m) => Number.isFinite(first[m]));
    const firstStats = latencyStats(Float64Array.from(delivered, (m) => first[m]));
    const spreadStats = latencyStats(Float64Array.from(delivered, (m) => last[m] - first[m]));
    const stats = latencyStats(all);
    const acked = latencyStats(ackTimes.filter((x) => Number.isFinite(x)));
    const duplicates = results.reduce((a, r) => a + r.duplicates, 0);
    const foreign = results.reduce((a, r) => a + r.foreign, 0);
    const disconnects = results.reduce((a, r) => a + r.disconnects, 0);
    const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
    const workerCpu = workers.map((_, i) => delta(cpu0.workers[i], cpu1.workers[i]));
    const selfCpu = (cpu1.self.user + cpu1.self.system) / 1000;
    const machineBusy = cpu0.machine && cpu1.machine ? cpu1.machine.busy - cpu0.machine.busy : null;
    const serverCpu = instances.map((_, i) => delta(cpu0.servers[i], cpu1.servers[i]));
    const known = [...serverCpu, ...workerCpu, selfCpu].reduce<number | null>((a, b) => (a === null || b === null ? null : a + b), 0);

    out('');
    out(`== run: ${name}, ${dbLabel}${instanceCount > 1 ? `, Redis ${s.redisUrl}` : ', no Redis'}`);
    out(`machine: ${loadLine()} at the end of the run`);
    out(
      `sockets: ${int(s.clients)} connected and joined in ${connectSeconds.toFixed(1)} s (connect ${slowestConnect.toFixed(1)} s, room:join ${slowestJoin.toFixed(1)} s, slowest group); ` +
        `${s.users} members, ${s.senders} staff senders; clients in ${workers.length} forked client processes + the ${s.senders} sender sockets in the bench process`,
    );
    out(
      `sent: ${int(total)} messages in ${sendSeconds.toFixed(1)} s (${(total / sendSeconds).toFixed(1)}/s, target ${s.rate}/s; timer late by ${ms(maxLag)} ms at most); ` +
        `acks failed ${ackFailures}${ackErrors.size ? ` (${[...ackErrors].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}; ack time ${formatStats(acked).replace(/ \(.*\)$/, '')}`,
    );
    out(`deliveries: expected ${int(total)} x ${int(s.clients)} sockets = ${int(expected)}, received ${int(n)}, lost ${int(expected - n)}, duplicates ${duplicates}, other ${foreign}, sockets disconnected ${disconnects}`);
    for (const r of results) for (const reason of r.disconnectReasons) out(`  ! disconnected: ${reason}`);
    out(`latency send -> receipt: ${formatStats(stats)}`);
    out(`  per message, first receipt: ${formatStats(firstStats).replace('deliveries', 'messages')}`);
    out(`  per message, first to last receipt (fan-out to ${int(s.clients)} sockets): ${formatStats(spreadStats).replace('deliveries', 'messages')}`);
    if (instanceCount > 1) {
      const same = latencyStats(all.filter((_, i) => !crossed[i]));
      const cross = latencyStats(all.filter((_, i) => crossed[i] === 1));
      out(`  same instance as the sender:  ${formatStats(same)}`);
      out(`  across instances (via Redis): ${formatStats(cross)}`);
    }
    for (const [i, inst] of instances.entries()) {
      const b = inst.samples.baseline;
      const c = inst.samples.connected;
      const a = inst.samples.after;
      out(
        `server RSS, instance ${i} (pid ${inst.server.pid}): before any socket ${mb(b?.procRss ?? b?.rss)} MB, with ${int(specs.filter((x) => x.instance === i).length)} sockets connected ${mb(c?.procRss ?? c?.rss)} MB, ` +
          `after the run ${mb(a?.procRss ?? a?.rss)} MB (peak ${mb(a?.procPeak)} MB); V8 heap used ${mb(b?.heapUsed)} / ${mb(c?.heapUsed)} / ${mb(a?.heapUsed)} MB`,
      );
    }
    out(
      `CPU over the ${(wallMs / 1000).toFixed(1)} s window, % of one core (the clients share the ${os.cpus().length} cores with the server): ` +
        instances.map((_, i) => `server ${i} ${pctOfCore(serverCpu[i], wallMs)}`).join(', ') +
        `, bench process (timer + ${s.senders} sender sockets) ${pctOfCore(selfCpu, wallMs)}, ` +
        workers.map((_, i) => `client process ${i} ${pctOfCore(workerCpu[i], wallMs)}`).join(', ') +
        `; whole machine ${pctOfCore(machineBusy, wallMs)} of ${os.cpus().length * 100}%` +
        (machineBusy !== null && known !== null ? ` (other processes ${pctOfCore(Math.max(0, machineBusy - known), wallMs)})` : ''),
    );

    if (!s.databaseUrl) out('  (the embedded database runs inside the server process: its RSS includes PGlite; the RSS target is meant for PostgreSQL)');
    const busiestClient = Math.max(selfCpu, ...workerCpu.map((x) => x ?? 0)) / wallMs;
    if (busiestClient > 0.8) out(`  ! a client process used ${(100 * busiestClient).toFixed(0)}% of a core: the figures may be client-bound (raise BENCH_CHAT_WORKERS)`);
    if (machineBusy !== null && machineBusy / wallMs > 0.9 * os.cpus().length) out('  ! the machine was saturated during the window: latencies include waiting for a core');

    const rss = (key: keyof Instance['samples']) => {
      const values = instances.map((i) => i.samples[key]?.procRss ?? i.samples[key]?.rss ?? null);
      return values.some((v) => v === null) ? null : Math.max(...(values as number[]));
    };
    return { name, instances: instanceCount, clients: s.clients, messages: total, expected, received: n, ackFailures, latency: stats, rssConnected: rss('connected'), rssAfter: rss('after') };
  } finally {
    while (cleanups.length > mark) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        note(`cleanup failed: ${err?.message ?? err}`);
      }
    }
  }
}

async function main(): Promise<number> {
  const s = readSettings();
  out('chat benchmark (issue 13): real socket.io clients (websocket transport) against node dist/src/main.js');
  out(machineInfo());
  out(`machine load at the start: ${loadLine()}`);
  out(
    `settings: ${s.clients} clients (BENCH_CHAT_CLIENTS), ${s.seconds} s (BENCH_CHAT_SECONDS), ${s.rate} messages/s (BENCH_CHAT_RATE) from ${s.senders} senders (BENCH_CHAT_SENDERS), ` +
      `${s.users} members (BENCH_CHAT_USERS), ${s.workers} client processes (BENCH_CHAT_WORKERS)`,
  );
  const runs: RunSummary[] = [];
  for (const count of s.instances) {
    if (count > 1 && !(s.databaseUrl && s.redisUrl)) {
      out(`\n(the ${count}-instance run needs DATABASE_URL and REDIS_URL: skipped)`);
      continue;
    }
    runs.push(await runScenario(s, count));
  }
  out('');
  out(`summary (targets from issue 13: p99 < ${TARGETS.p99OneMs} ms on one instance, < ${TARGETS.p99TwoMs} ms across two, none lost, server RSS < ${TARGETS.rssMb} MB; RSS = the largest instance's, MB = 10^6 bytes):`);
  out('');
  for (const line of summaryTable(runs)) out(line);
  out(`machine load at the end: ${loadLine()}`);
  return 0;
}

main()
  .then(
    (code) => cleanup().then(() => code),
    async (err) => {
      process.stderr.write(`\nbench:chat failed: ${err?.stack ?? err}\n`);
      await cleanup();
      return 1;
    },
  )
  .then((code) => process.exit(code));
