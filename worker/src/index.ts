/** Worker entry point: wires the app; everything else lives in app.ts and the modules it imports. */
import { buildApp } from './app.ts';
import type { Env } from './env.ts';
import { consumeEvaluations, type EvaluationMessage } from './jobs/evaluations.ts';
import { runLoop } from './monitor/loop.ts';
import { noteRequest } from './serving/prometheus.ts';

const app = buildApp();

export default {
  fetch: (request, env, ctx) => {
    noteRequest();
    return app.fetch(request, env, ctx);
  },
  // The Cron Trigger (wrangler.toml [triggers], hourly): drift, shadow and estimated-accuracy reports, alerts, retention,
  // then retraining dispatches and the promotion policies (monitor/loop.ts).
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(
      runLoop(env, { now: controller.scheduledTime }).then(({ monitor: run, retrain, decisions }) =>
        console.log(
          `monitor: ${run.reports.length} reports (${run.reports.filter((r) => r.status === 'drift').length} with drift), ${run.deliveries.length} webhook deliveries, pruned ${run.pruned.predictions} history rows, timed out ${run.timedOut.length} evaluation runs; ` +
            `${retrain.filter((r) => r.status !== 'skipped').length} retraining dispatches; policy: ${decisions.map((d) => `${d.model} ${d.action} (${d.outcome})`).join(', ') || 'no decisions'}`,
        ),
      ),
    );
  },
  // EVALUATION_QUEUE's consumer (wrangler.toml [[queues.consumers]]): long evaluation runs, one per message (jobs/evaluations.ts).
  queue: (batch, env) => consumeEvaluations(batch as MessageBatch<EvaluationMessage>, env),
} satisfies ExportedHandler<Env>;
