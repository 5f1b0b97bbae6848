/**
 * pnpm registry list
 * pnpm registry info NAME[@VERSION|@ALIAS]
 * pnpm registry set-alias NAME ALIAS VERSION
 * pnpm registry rollback NAME [ALIAS]
 * pnpm registry canary NAME VERSION SHARE | pnpm registry end-canary NAME
 * pnpm registry ab NAME A B [DAYS]
 * pnpm registry download NAME[@VERSION|@ALIAS] DIR
 * pnpm registry keys create --name NAME --role ROLE [--model NAME]… [--expires 90d] | keys list | keys revoke NAME
 *
 * Talks to REGISTRY_URL (default the local `pnpm dev` Worker) with REGISTRY_TOKEN for writes.
 */
import { languageName } from '../language.ts';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseLabelledDelimited } from '../dataset.ts';
import { parseModelRef } from '../ref.ts';
import { CANARY_ALIAS, shareProblem } from '../canary.ts';
import { rollbackAlias } from '../rollback.ts';
import { parseExpiresDays, Role } from '../keys-api.ts';
import { downloadModel } from './download.ts';
import { runCli, table, UsageError } from './cli.ts';
import { registryFromEnv, userPath } from './settings.ts';

const USAGE = `usage:
  pnpm registry list
  pnpm registry info NAME[@VERSION|@ALIAS]
  pnpm registry set-alias NAME ALIAS VERSION
  pnpm registry rollback NAME [ALIAS]      move ALIAS (default champion) back to the version it pointed at before its latest move
                                          (a deleted ALIAS, e.g. a canary the promotion policy rolled back, is set again)
  pnpm registry canary NAME VERSION SHARE  serve SHARE (0-1) of NAME's champion traffic with VERSION (by a stable hash of each client)
  pnpm registry end-canary NAME            end the canary: all traffic back to the champion
  pnpm registry ab NAME A B [DAYS]         A/B readout of versions A and B over their common traffic (last DAYS days, default 7)
  pnpm registry download NAME[@VERSION|@ALIAS] DIR
  pnpm registry export-feedback NAME[@VERSION] FILE   the corrections users sent, as text,label CSV (for pnpm train --add-data)
  pnpm registry keys create --name NAME --role reader|publisher|operator|admin [--model NAME]... [--expires 90d]
                                          create an API key (printed once; only its SHA-256 is stored)
  pnpm registry keys list                 every key: role, models, created, last used, expiry, revoked (never the key)
  pnpm registry keys revoke NAME          revoke a key: refused everywhere within 5 s
options: --registry URL (env REGISTRY_URL), --token TOKEN (env REGISTRY_TOKEN: the admin secret, or an API key), --json`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      registry: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      name: { type: 'string' },
      role: { type: 'string' },
      model: { type: 'string', multiple: true },
      expires: { type: 'string' },
    },
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
            `languages: ${m.training?.languages?.length ? m.training.languages.map((l) => `${languageName(l)} (${l})`).join(', ') : 'not recorded'}\n` +
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
    case 'canary': {
      need(args, 3);
      const version = Number(args[1]);
      if (!Number.isInteger(version) || version < 1) throw new UsageError(`VERSION must be a positive integer, got "${args[1]}"`);
      const share = Number(args[2]);
      const problem = args[2]!.trim() === '' ? 'SHARE is missing' : shareProblem(share);
      if (problem) throw new UsageError(`${problem} (e.g. 0.1 for 10 %)`);
      const rec = await client.setAlias(args[0]!, CANARY_ALIAS, { version, share, reason: 'registry CLI' });
      print(`${rec.name}@${CANARY_ALIAS} → ${rec.version}, serving ${(share * 100).toFixed(1)} % of the champion's traffic`, rec);
      return 0;
    }
    case 'end-canary': {
      need(args, 1);
      await client.deleteAlias(args[0]!, CANARY_ALIAS);
      print(`${args[0]}: canary ended; the champion serves all traffic`, { name: args[0], ended: true });
      return 0;
    }
    case 'ab': {
      need(args, 3);
      const [a, b, days] = [Number(args[1]), Number(args[2]), args[3] === undefined ? undefined : Number(args[3])];
      for (const [what, v] of [['A', a], ['B', b]] as const) if (!Number.isInteger(v) || v < 1) throw new UsageError(`${what} must be a version number, got "${v}"`);
      if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 90)) throw new UsageError(`DAYS must be a whole number from 1 to 90, got "${args[3]}"`);
      const r = await client.ab({ model: args[0]!, a, b, ...(days !== undefined ? { days } : {}) });
      const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
      const rows = [r.a, r.b].map((v) => [`v${v.version}`, String(v.n), pct(v.meanConfidence), String(v.latencyMs.p50 ?? '-'), String(v.latencyMs.p95 ?? '-'), v.feedback.n ? `${pct(v.feedback.accuracy)} of ${v.feedback.n}` : '-']);
      const d = r.accuracyDifference;
      print(
        `${r.model}: v${r.a.version} against v${r.b.version}, ${r.overlap ? `common traffic ${r.overlap.start} to ${r.overlap.end}` : 'no common traffic'} (last ${r.window.days} days)
` +
          table(['version', 'rows', 'mean conf.', 'p50 ms', 'p95 ms', 'accuracy (feedback)'], rows) +
          `
label mix distance ${r.labelMixDifference?.totalVariation.toFixed(3) ?? '-'}; agreement ${pct(r.agreement.agreement)} of ${r.agreement.rows} shadow pairs` +
          `
accuracy b − a: ${d ? `${(d.difference * 100).toFixed(1)} points, 95 % interval ${(d.low * 100).toFixed(1)} to ${(d.high * 100).toFixed(1)} (Newcombe)` : 'not enough feedback'}`,
        r,
      );
      return 0;
    }
    case 'download': {
      need(args, 2);
      const dir = userPath(args[1]!);
      const m = await downloadModel(client, args[0]!, dir, (p) => values.json || console.error(`  ${p}`));
      print(`downloaded ${m.name}@${m.version} (${m.files.length} files, sha256 verified) to ${dir}`, m);
      return 0;
    }
    case 'export-feedback': {
      need(args, 2);
      const file = userPath(args[1]!);
      const csv = await client.exportFeedback({ model: args[0]! });
      await writeFile(file, csv);
      const rows = parseLabelledDelimited(csv).length;
      print(`${rows} correction${rows === 1 ? '' : 's'} of ${args[0]} written to ${file} (text,label)`, { model: args[0], file, rows });
      return 0;
    }
    case 'keys': {
      const sub = args[0];
      if (sub === 'create') {
        if (!values.name) throw new UsageError('keys create needs --name NAME');
        const role = Role.safeParse(values.role);
        if (!role.success) throw new UsageError('keys create needs --role reader|publisher|operator|admin');
        let expiresInDays: number | undefined;
        if (values.expires !== undefined) {
          const days = parseExpiresDays(values.expires);
          if (days === null) throw new UsageError(`--expires takes whole days, e.g. 90d (1 to 3650), not "${values.expires}"`);
          expiresInDays = days;
        }
        const created = await client.createKey({ name: values.name, role: role.data, ...(values.model?.length ? { models: values.model } : {}), ...(expiresInDays ? { expiresInDays } : {}) });
        const scope = created.models ? created.models.join(', ') : 'every model';
        print(
          `${created.key}\n\nkey "${created.name}": role ${created.role}, ${scope}, ${created.expiresAt ? `expires ${created.expiresAt}` : 'no expiry'}.\nThis is the only time the key is shown: store it now (e.g. gh secret set REGISTRY_TOKEN).`,
          created,
        );
        return 0;
      }
      if (sub === 'list') {
        const keys = await client.listKeys();
        const rows = keys.map((k) => [k.name, k.role, k.models?.join(',') ?? '*', k.createdAt.slice(0, 16), k.lastUsedAt?.slice(0, 16) ?? '-', k.expiresAt?.slice(0, 16) ?? '-', k.revokedAt?.slice(0, 16) ?? '-']);
        print(table(['key', 'role', 'models', 'created', 'last used', 'expires', 'revoked'], rows), keys);
        return 0;
      }
      if (sub === 'revoke') {
        need(args, 2);
        const revoked = await client.revokeKey(args[1]!);
        print(`revoked key "${revoked.name}" at ${revoked.revokedAt}: every Worker isolate refuses it within 5 s`, revoked);
        return 0;
      }
      throw new UsageError('keys takes create, list or revoke');
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
