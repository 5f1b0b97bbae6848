/**
 * What the dashboard's monitoring part reads from the Worker, with its loading and error states (the
 * component, ServerMonitor.svelte, only renders them):
 * - public: evaluation runs, the aliases (the canary's share) and every alias's history;
 * - with the read token (kept in this device's localStorage, sent only to this Worker): the drift reports
 *   and realised accuracy, then the promotion policy's decisions, then the A/B readout — each later one
 *   extra, so its failure keeps what came before.
 * The last figures read are kept on this device (monitor-figures.ts) and shown, dated, when the Worker
 * cannot be reached.
 */
import { ApiError, type RegistryClient } from '@sentiment-edge/registry';
import { aliasTimeline, compareEvaluations, driftFigures, loadMonitorCopy, READ_TOKEN_KEY, realisedByDay, saveMonitorCopy, type MonitorCopy } from './monitor-figures.ts';
import { abFigures, abPair, canaryShare, decisionFigures, DECISIONS_SHOWN, type AbFigures, type PolicyState } from './rollout-figures.ts';

/** The public reads (no token). */
export type MonitorPublicClient = Pick<RegistryClient, 'listEvaluations' | 'listAliases' | 'aliasHistory'>;
/** The reads that need the read token. */
export type MonitorReader = Pick<RegistryClient, 'drift' | 'realisedAccuracy' | 'getPolicy' | 'listDecisions' | 'ab'>;

export interface MonitorSources {
  client: MonitorPublicClient;
  /** A client that sends `token` (the app's RegistryClient with the read token). */
  reader: (token: string) => MonitorReader;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

/** One refresh: the model, its current aliases, and the champion's version as the dashboard knows it. */
export interface MonitorQuery {
  model: string;
  aliases: Record<string, number>;
  /** Read when the drift reports arrive (the champion the server figures name, if known). */
  champion: () => number | null;
}

export const OFFLINE_WORDS = 'The server cannot be reached just now';
export const PUBLIC_PROBLEM = 'The server could not give its evaluation and alias figures just now';
export const TOKEN_REFUSED = 'The server did not accept this read token: check it, or forget it and enter it again';
export const REPORTS_PROBLEM = 'The server could not give its monitoring reports just now';
export const DECISIONS_PROBLEM = 'The server could not give the promotion decisions just now';

/** Where each part of the figures comes from now, and what went wrong reading it. */
export interface MonitorStatus {
  /** Whether `copy`'s public figures were read from the Worker while this view is open (else they are the kept ones). */
  live: boolean;
  driftLive: boolean;
  problem: string | null;
  driftProblem: string | null;
  decisionsLive: boolean;
  decisionsProblem: string | null;
  /** The A/B readout of the canary (or challenger) against the champion: live only, not kept on the device. */
  ab: { alias: string; figures: AbFigures } | null;
}

const NOTHING_READ: MonitorStatus = { live: false, driftLive: false, problem: null, driftProblem: null, decisionsLive: false, decisionsProblem: null, ab: null };

export class MonitorModel {
  /** The read token saved on this device ('' when none). */
  token = $state('');
  /** The figures shown: read live while this view is open, else the copy kept on this device. */
  copy = $state.raw<MonitorCopy | null>(null);
  /** Where each part of the figures comes from now, and what went wrong reading it. */
  status = $state.raw<MonitorStatus>(NOTHING_READ);

  #sources: MonitorSources;
  #storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

  constructor(sources: MonitorSources) {
    this.#sources = sources;
    this.#storage = sources.storage ?? localStorage;
    try {
      this.token = this.#storage.getItem(READ_TOKEN_KEY) ?? '';
    } catch {
      // storage disabled: no token kept
    }
    this.copy = loadMonitorCopy(this.#storage);
  }

  /** Keeps a read token on this device (for this visit only when storage is disabled). */
  saveToken(token: string): void {
    const t = token.trim();
    if (!t) return;
    try {
      this.#storage.setItem(READ_TOKEN_KEY, t);
    } catch {
      // storage disabled: the token is used for this visit only
    }
    this.token = t;
  }

  /** Forgets the token and every figure read with it (the kept copy too). */
  forgetToken(): void {
    try {
      this.#storage.removeItem(READ_TOKEN_KEY);
    } catch {
      // nothing kept
    }
    this.token = '';
    this.#set({ ab: null, driftProblem: null, driftLive: false, decisionsProblem: null, decisionsLive: false });
    const copy = this.copy;
    if (copy?.drift || copy?.decisions) {
      const { drift: _, decisions: __, ...rest } = copy;
      this.copy = rest;
      saveMonitorCopy(rest, this.#storage);
    }
  }

  #set(patch: Partial<MonitorStatus>): void {
    this.status = { ...this.status, ...patch };
  }

  /**
   * Reads every figure for `q` (with `token`, the token-gated ones too), setting the states as answers come,
   * while `current()` holds (once it is false, a later answer changes nothing). Reads no reactive state before
   * its first await, so an effect that calls it depends only on its arguments.
   */
  async refresh(q: MonitorQuery, tok: string, current: () => boolean = () => true): Promise<void> {
    const { model: name, aliases: known } = q;
    const client = this.#sources.client;
    const names = [...new Set(['champion', 'challenger', ...Object.keys(known)])];
    let next: MonitorCopy | null = null;
    try {
      const [evals, aliasList, ...histories] = await Promise.all([
        client.listEvaluations({ model: name, n: 500 }),
        client.listAliases(name),
        ...names.map((a) => client.aliasHistory(name, a)),
      ]);
      const copy = this.copy;
      next = {
        at: new Date().toISOString(),
        model: name,
        evaluations: compareEvaluations(evals.evaluations, known),
        timeline: aliasTimeline(Object.fromEntries(names.map((a, i) => [a, histories[i]!.events]))),
        canary: canaryShare(aliasList.aliases),
        ...(copy?.model === name && copy.drift ? { drift: copy.drift } : {}),
        ...(copy?.model === name && copy.decisions ? { decisions: copy.decisions } : {}),
      };
      if (!current()) return;
      this.#set({ problem: null, live: true });
    } catch (e) {
      if (!current()) return;
      this.#set({ problem: e instanceof ApiError && e.status === 0 ? OFFLINE_WORDS : PUBLIC_PROBLEM });
    }
    if (tok) {
      try {
        const reader = this.#sources.reader(tok);
        const [listing, feedback] = await Promise.all([reader.drift({ model: name, n: 48 }), reader.realisedAccuracy({ model: name, days: 30 })]);
        if (!current()) return;
        const champion = q.champion() ?? known.champion ?? null;
        const figures = driftFigures(listing, champion);
        const version = figures?.report.version ?? champion;
        const byDay = version === null ? null : realisedByDay(feedback.rows, version);
        next = { ...(next ?? this.copy ?? { at: new Date().toISOString(), model: name, evaluations: [], timeline: [] }), drift: { at: new Date().toISOString(), figures, byDay } };
        this.#set({ driftProblem: null, driftLive: true });
        // The policy's decisions are extra too: when they fail, the last ones kept stay, dated.
        const policy: Promise<PolicyState> = reader.getPolicy(name).then(
          (p) => (p.policy.paused ? 'paused' : 'set'),
          (e: unknown) => (e instanceof ApiError && e.status === 404 ? 'none' : 'unknown'),
        );
        const decided = await Promise.all([reader.listDecisions(name, DECISIONS_SHOWN), policy]).catch(() => null);
        if (!current()) return;
        if (decided) {
          next = { ...next, decisions: { at: new Date().toISOString(), ...decisionFigures(decided[0], decided[1]) } };
          this.#set({ decisionsProblem: null, decisionsLive: true });
        } else {
          this.#set({ decisionsProblem: DECISIONS_PROBLEM });
        }
        // The A/B readout is extra: when it fails, the drift figures above still show.
        const pair = abPair(known);
        const readout = pair ? await reader.ab({ model: name, a: pair.a, b: pair.b, days: 7 }).catch(() => null) : null;
        if (current()) this.#set({ ab: pair && readout ? { alias: pair.alias, figures: abFigures(readout) } : null });
      } catch (e) {
        if (!current()) return;
        this.#set({
          driftProblem: e instanceof ApiError && (e.status === 401 || e.status === 403) ? TOKEN_REFUSED : e instanceof ApiError && e.status === 0 ? OFFLINE_WORDS : REPORTS_PROBLEM,
        });
      }
    }
    if (next && current()) {
      this.copy = next;
      saveMonitorCopy(next, this.#storage);
    }
  }
}
