// `pnpm dev`: the whole product on one machine.
// 1. .dev.vars with a fresh random REGISTRY_TOKEN if missing          2. build the PWA (web/dist)
// 3. apply D1 migrations to the local D1                            4. start the Worker (wrangler dev, local D1 + R2)
// 5. if the default model has no champion: train the default recipe (3 classes, every training set in
//    $SENTIMENT_DATA) and publish it through the F1 gate, scored on tweeteval/val.csv (3 classes, never trained on).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureDevVars } from './dev-vars.mjs';

const root = resolve(import.meta.dirname, '..');
const port = process.env.PORT ?? '8787';
const url = `http://127.0.0.1:${port}`;
const model = process.env.DEFAULT_MODEL ?? 'sentiment';
const data = process.env.SENTIMENT_DATA ?? resolve(root, '../shared/data');
const wrangler = join(root, 'worker/node_modules/.bin/wrangler');

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\n"${cmd} ${args.join(' ')}" failed with exit code ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

// Local secrets: a random REGISTRY_TOKEN in .dev.vars (never the committed example).
const secrets = ensureDevVars(root);
if (secrets === 'created') console.log('created .dev.vars with a random REGISTRY_TOKEN (local secrets; git-ignored, never commit it)');
if (secrets === 'replaced') console.log('.dev.vars had an empty or published REGISTRY_TOKEN: replaced it with a random one');
run('pnpm', ['--filter', '@sentiment-edge/web', 'build']);
run(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', '--config', 'wrangler.toml'], { env: { ...process.env, CI: 'true' } });

// Local dev keeps texts in history (STORE_TEXT); deployments default to "false" (wrangler.toml).
const worker = spawn(wrangler, ['dev', '--config', 'wrangler.toml', '--ip', '127.0.0.1', '--port', port, '--local', '--var', 'STORE_TEXT:true'], { cwd: root, stdio: 'inherit' });
const stop = () => worker.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
worker.on('exit', (code) => process.exit(code ?? 0));

async function healthy() {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Worker did not answer ${url}/health within 60 s`);
}

await healthy();
const champion = await fetch(`${url}/api/v1/models/${model}/aliases/champion`);
if (champion.ok) {
  const { version } = await champion.json();
  console.log(`\n${model}@champion is version ${version}. Open ${url}`);
} else {
  const dir = join(root, 'models', model);
  console.log(`\n${model} has no champion yet: training the default model (negative / neutral / positive, every training set; two to three minutes), then publishing it.`);
  if (!existsSync(join(dir, 'onnx/model_quantized.onnx'))) {
    run('pnpm', ['train', '--out', dir], { env: { ...process.env, SENTIMENT_DATA: data } });
  }
  // The gate file: TweetEval's validation split (3 classes, not a training file of the default recipe).
  run('pnpm', ['publish-model', '--model', dir, '--name', model, '--data', join(data, 'tweeteval/val.csv'), '--registry', url]);
  console.log(`\nReady: open ${url}`);
}
