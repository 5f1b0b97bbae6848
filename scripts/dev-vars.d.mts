export declare const PUBLISHED_TOKENS: string[];
export declare function randomToken(): string;
export declare function ensureDevVars(root: string): 'created' | 'kept' | 'replaced';
