/**
 * pnpm registry list
 * pnpm registry info NAME[@VERSION|@ALIAS]
 * pnpm registry set-alias NAME ALIAS VERSION
 * pnpm registry rollback NAME [ALIAS]
 * pnpm registry download NAME[@VERSION|@ALIAS] DIR
 *
 * Talks to REGISTRY_URL (default the local `pnpm dev` Worker) with REGISTRY_TOKEN for writes.
 */
import { parseArgs } from 'node:util';
import { parseModelRef } from './ref.ts';
import { rollbackAlias } from './rollback.ts';
import { downloadModel } from './node/download.ts';
import { runCli, table, UsageError } from './node/cli.ts';
import { registryFromEnv, userPath } from './node/settings.ts';

const USAGE = `usage:
  pnpm registry list
  pnpm registry info NAME[@VERSION|@ALIAS]
  pnpm registry set-alias NAME ALIAS VERSION
  pnpm registry rollback NAME [ALIAS]      move ALIAS (default champion) back to the version it pointed at before its latest move
                                          (a deleted ALIAS, e.g. a canary the promotion policy rolled back, is set again)
  pnpm registry download NAME[@VERSION|@ALIAS] DIR
options: --registry URL (env REGISTRY_URL), --token TOKEN (env REGISTRY_TOKEN), --json`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { registry: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [cmd, ...args] = positionals;
  if (values.help || !cmd) {
    console.log(USAGE);
    return cmd || values.help ? 0 : 2;
  }
  const client = registryFromEnv(values);
  const print = (human: string, data: unknown) => console.log(values.json ? JSON.stringify(data, null, 2) : human);

  switch (cmd) {
    case 'list': {
      const { models } = await client.listModels();
      const rows = models.map((m) => [m.name, String(m.versionCount), String(m.latestVersion ?? '-'), Object.entries(m.aliases).map(([a, v]) => `${a}=${v}`).join(' ') || '-']);
      print(table(['model', 'versions', 'latest', 'aliases'], rows), models);
      return 0;
    }
    case 'info': {
      need(args, 1);
      const ref = parseModelRef(args[0]!);
      if (ref.kind === 'default') {
        const [model, { versions }] = await Promise.all([client.getModel(ref.name), client.listVersions(ref.name)]);
        const rows = versions.map((v) => [String(v.version), v.status, v.evaluation.macroF1.toFixed(4), v.evaluation.accuracy.toFixed(4), v.evaluation.dataset.name, kb(v.bytes), v.createdAt]);
        const aliases = Object.entries(model.aliases).map(([a, v]) => `${a} → ${v}`).join(', ') || 'none';
        print(`${model.name}  aliases: ${aliases}\n${table(['version', 'status', 'macroF1', 'accuracy', 'eval set', 'size', 'created'], rows)}`, { model, versions });
      } else {
        const m = await client.resolve(args[0]!);
        const ev = m.evaluation;
        const perClass = Object.entries(ev.perClass).map(([l, c]) => [l, c.precision.toFixed(4), c.recall.toFixed(4), c.f1.toFixed(4), String(c.support)]);
        print(
          `${m.name}@${m.version} (${m.status}), labels ${m.labels.join(', ')}, ${kb(m.bytes)}, created ${m.createdAt}\n` +
            `evaluated on ${ev.dataset.name} (${ev.dataset.rows} rows): accuracy ${ev.accuracy.toFixed(4)}, macro-F1 ${ev.macroF1.toFixed(4)}, macro-recall ${ev.macroRecall.toFixed(4)}\n` +
            table(['label', 'precision', 'recall', 'f1', 'support'], perClass) +
            `\nfiles:\n${m.files.map((f) => `  ${f.path}  ${kb(f.bytes)}  ${f.sha256}`).join('\n')}`,
          m,
        );
      }
      return 0;
    }
    case 'set-alias': {
      need(args, 3);
      const version = Number(args[2]);
      if (!Number.isInteger(version) || version < 1) throw new UsageError(`VERSION must be a positive integer, got "${args[2]}"`);
      const rec = await client.setAlias(args[0]!, args[1]!, { version, reason: 'registry CLI' });
      print(`${rec.name}@${rec.alias} → ${rec.version}`, rec);
      return 0;
    }
    case 'rollback': {
      need(args, 1);
      const plan = await rollbackAlias(client, args[0]!, args[1] ?? 'champion', 'registry CLI rollback');
      print(`${args[0]}@${args[1] ?? 'champion'}: ${plan.from ?? 'deleted'} → ${plan.to} (undoes the move of ${plan.undoes.at}${plan.from === null ? '' : '; run it again to undo this'})`, plan);
      return 0;
    }
    case 'download': {
      need(args, 2);
      const dir = userPath(args[1]!);
      const m = await downloadModel(client, args[0]!, dir, (p) => values.json || console.error(`  ${p}`));
      print(`downloaded ${m.name}@${m.version} (${m.files.length} files, sha256 verified) to ${dir}`, m);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

function need(args: string[], n: number): void {
  if (args.length < n) throw new UsageError(`expected ${n} argument(s)`);
}

function kb(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}


runCli(() => main(process.argv.slice(2)), USAGE);
