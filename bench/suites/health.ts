/**
 * GET /api/health on the real API (compiled build, child process) against a bare node:http server:
 * throughput and latency as medians of interleaved runs with ratios, boot-to-ready time and idle RSS.
 */
import {
  compareLoad,
  defineSuite,
  describeSamples,
  ensureBuild,
  loadComparisonRows,
  median,
  prepareAppLaunch,
  ratio,
  sleep,
  startApp,
  startBareServer,
  type ChildServer,
} from '../lib';

const BOOTS = 3;
const kbToMiB = (kb: number): number => kb / 1024;

export default defineSuite({
  name: 'health',
  description: 'GET /api/health on the API vs a bare node:http server; boot time and idle RSS',
  async run(ctx) {
    const { config, log } = ctx;
    const launch = prepareAppLaunch(config.repoRoot);
    let app: ChildServer | undefined;
    let bare: ChildServer | undefined;
    try {
      ensureBuild(config.repoRoot, launch.entry, log);
      log(`app: ${launch.entry} (database: ${launch.database}${launch.dataDir ? `, ${launch.dataDir}` : ''})`);

      // Boot 0 starts on an empty data dir (creates the database, runs migrations); boots 1..3 restart on it.
      const boots: number[] = [];
      for (let i = 0; i <= BOOTS; i++) {
        const started = await startApp(launch, config.repoRoot);
        log(`boot ${i === 0 ? 'first' : `${i}/${BOOTS}`}: ready in ${started.bootMs.toFixed(0)} ms`);
        if (i > 0) {
          boots.push(started.bootMs);
        } else {
          ctx.record({
            metric: 'boot → ready, first boot',
            unit: 'ms',
            value: started.bootMs,
            note: launch.database === 'embedded' ? 'fresh embedded data dir (creates DB + migrations)' : `database: ${launch.database}`,
          });
        }
        if (i < BOOTS) {
          await started.stop();
        } else {
          app = started;
        }
      }
      ctx.record({
        metric: 'boot → ready, restart',
        unit: 'ms',
        value: median(boots),
        samples: boots,
        note: `${describeSamples(boots)}, spawn → first 200 from /api/health`,
      });

      bare = await startBareServer();
      await sleep(1000); // let both settle (lazy init, first GC) before reading RSS
      const appRss = kbToMiB(app!.rssKb());
      const bareRss = kbToMiB(bare.rssKb());
      ctx.record({
        metric: 'idle RSS after boot',
        unit: 'MiB',
        value: appRss,
        baseline: bareRss,
        baselineName: 'bare node:http',
        ratio: ratio(appRss, bareRss),
        better: 'lower',
        note: launch.database === 'embedded' ? 'includes the in-process embedded DB, if any' : undefined,
      });

      const cmp = await compareLoad({
        target: { name: 'api', url: `${app!.url}/api/health` },
        baseline: { name: 'bare node:http', url: `${bare.url}/api/health` },
        config,
        log,
      });
      for (const row of loadComparisonRows('GET /api/health', cmp)) {
        ctx.record(row);
      }

      const peakApp = kbToMiB(app!.peakRssKb());
      const peakBare = kbToMiB(bare.peakRssKb());
      ctx.record({
        metric: 'peak RSS under load',
        unit: 'MiB',
        value: peakApp,
        baseline: peakBare,
        baselineName: 'bare node:http',
        ratio: ratio(peakApp, peakBare),
        better: 'lower',
        note: 'VmHWM after all runs',
      });
    } finally {
      await app?.stop();
      await bare?.stop();
      launch.cleanup();
    }
  },
});
