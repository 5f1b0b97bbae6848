/**
 * pnpm publish-model --model DIR --name NAME --data CSV [--text-column text] [--label-column label]
 *                    [--floor 0.8] [--margin 0] [--require-significance] [--registry URL] [--token T]
 * Exit codes: 0 published (champion or challenger), 1 rejected by the gate or failed, 2 usage.
 */
import { registryFromEnv, runCli, UsageError, userPath } from '@sentiment-edge/registry/node';
import { formatDecision, publishModel } from '../publish.ts';
import { num } from './format.ts';
import { cliArgs } from './run.ts';

const USAGE = 'usage: pnpm publish-model --model DIR --name NAME --data CSV [--floor F] [--margin M] [--require-significance] [--registry URL] [--token T]';

async function main(): Promise<number> {
  const v = cliArgs(
    {
      model: { type: 'string' },
      name: { type: 'string', default: 'sentiment' },
      data: { type: 'string' },
      'text-column': { type: 'string' },
      'label-column': { type: 'string' },
      floor: { type: 'string' },
      margin: { type: 'string' },
      'require-significance': { type: 'boolean' },
      registry: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (!v.model || !v.data) throw new UsageError('--model and --data are required');
  const client = registryFromEnv({ registry: v.registry, token: v.token });
  const result = await publishModel({
    client,
    dir: userPath(v.model),
    name: v.name!,
    data: userPath(v.data),
    textColumn: v['text-column'],
    labelColumn: v['label-column'],
    policy: { floor: num('floor', v.floor), margin: num('margin', v.margin), requireSignificance: v['require-significance'] },
    log: (l) => console.error(l),
  });
  if (v.json) console.log(JSON.stringify({ decision: result.decision, published: result.published, alias: result.alias }, null, 2));
  else console.log(`\n${formatDecision(result)}`);
  if (!result.published) console.error(`\nnot published: ${result.decision.reasons[0]}`);
  return result.published ? 0 : 1;
}

runCli(main, USAGE);
