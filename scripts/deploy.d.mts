export declare const ROOT: string;
export declare const CONFIG: string;
export declare const LIMITS: { free: number; paid: number };
export declare const PLACEHOLDER_D1_ID: string;
export declare const SECRETS: string[];
export interface DeployTarget {
  workerName: string;
  d1: { name: string; id: string };
  r2: { bucket: string };
  /** Queue names to create: producers', consumers' and their dead-letter queues. */
  queues: string[];
}
export interface BundleSizes {
  files: { file: string; raw: number; gzip: number }[];
  raw: number;
  gzip: number;
}
export declare class DeployError extends Error {}
export declare function deployTarget(toml: string, env?: string): DeployTarget;
export declare function isRealD1Id(id: unknown): boolean;
export declare function withD1Id(toml: string, env: string | undefined, id: string): string;
export declare function bundleSizes(outDir: string): BundleSizes;
export declare function formatSizes(s: BundleSizes): string;
export declare function dryRun(outDir: string, env?: string): BundleSizes;
export declare function requireAccount(env?: string): void;
export declare function deploy(env?: string): void;
