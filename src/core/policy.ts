import * as z from 'zod/mini';
import { pathProblem } from './paths';
import { normalisePrincipal } from './principal';

/**
 * `check` re-runs an exchange key's permission check (the value is used, never returned);
 * `audit` reads a secret's access history (and describe's summary of it), never its value;
 * `metrics` reads the server's request and key-service counts (GET /metrics; paths do not matter).
 */
export const ACTIONS = [
  'read',
  'write',
  'describe',
  'list',
  'delete',
  'destroy',
  'check',
  'audit',
  'admin',
  'metrics',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface PolicyRule {
  principals: string[];
  actions: Action[];
  /** An exact path, `prefix/*` (everything below prefix), or `*` (every path). */
  paths: string[];
}

export interface Policy {
  rules: PolicyRule[];
}

const pattern = z.string().check(
  z.superRefine((value, ctx) => {
    if (value === '*') return;
    const base = value.endsWith('/*') ? value.slice(0, -2) : value;
    const problem = pathProblem(base);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        message: `path pattern '${value}': ${problem} (use an exact path, 'prefix/*' or '*')`,
      });
  }),
);

const principal = z.string().check(
  z.superRefine((value, ctx) => {
    // A wildcard principal would turn deny-by-default into allow-by-default for anyone with IAM access.
    if (value.includes('*')) {
      ctx.addIssue({ code: 'custom', message: `principal '${value}': wildcards are not allowed` });
      return;
    }
    try {
      normalisePrincipal(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `principal '${value}' is not an IAM role, user or assumed-role ARN` });
    }
  }),
);

const ruleSchema = z.strictObject({
  principals: z.array(principal).check(z.minLength(1)),
  actions: z.array(z.enum(ACTIONS)).check(z.minLength(1)),
  paths: z.array(pattern).check(z.minLength(1)),
});

const policySchema = z.strictObject({ rules: z.array(ruleSchema) });

/** Raised at start-up when the policy document is invalid; the message names the bad rule. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    message: string,
    /** Where each problem is ("rule 2 (principals.0)"), without the offending values: safe for any log. */
    readonly locations: string[] = [],
  ) {
    super(message);
  }
}

/**
 * Parses and validates a policy document. Every error names the rule (by index) and the field,
 * so an operator can fix it without guessing.
 */
export function parsePolicy(document: unknown): Policy {
  const result = policySchema.safeParse(document);
  if (!result.success) {
    const located = result.error.issues.map((issue) => {
      const [first, index, ...rest] = issue.path;
      const where =
        first === 'rules' && typeof index === 'number'
          ? `rule ${index}${rest.length ? ` (${rest.join('.')})` : ''}`
          : issue.path.join('.') || 'document';
      return { where, line: `${where}: ${issue.message}` };
    });
    throw new PolicyError(
      `invalid policy: ${located.map((l) => l.line).join('; ')}`,
      located.map((l) => l.where),
    );
  }
  return {
    rules: result.data.rules.map((rule) => ({ ...rule, principals: rule.principals.map(normalisePrincipal) })),
  };
}

function matches(patternText: string, path: string): boolean {
  if (patternText === '*') return true;
  if (patternText.endsWith('/*')) return path.startsWith(patternText.slice(0, -1));
  return patternText === path;
}

/** Deny by default: true only when some rule names this principal, action and a matching path. */
export function isAllowed(policy: Policy, principalArn: string, action: Action, path: string): boolean {
  return decidingRule(policy, principalArn, action, path) !== undefined;
}

/**
 * The index of the first rule that allows `action` on `path` for the principal, or undefined
 * when none does (deny by default: rules only ever allow, so the first match is what decided).
 * The principal is compared as given; normalise it first (normalisePrincipal), as the HTTP
 * front does for callers.
 */
export function decidingRule(policy: Policy, principalArn: string, action: Action, path: string): number | undefined {
  const index = policy.rules.findIndex(
    (rule) =>
      rule.principals.includes(principalArn) &&
      rule.actions.includes(action) &&
      rule.paths.some((p) => matches(p, path)),
  );
  return index === -1 ? undefined : index;
}

/** True when the principal holds `action` on at least one pattern (used to admit list requests). */
export function holdsAnywhere(policy: Policy, principalArn: string, action: Action): boolean {
  return firstRuleHolding(policy, principalArn, action) !== undefined;
}

/** The index of the first rule granting the principal `action` on any path, or undefined. */
export function firstRuleHolding(policy: Policy, principalArn: string, action: Action): number | undefined {
  const index = policy.rules.findIndex(
    (rule) => rule.principals.includes(principalArn) && rule.actions.includes(action),
  );
  return index === -1 ? undefined : index;
}

/** A policy that gives one principal every action everywhere: embedded mode's default. */
export function adminPolicy(principalArn: string): Policy {
  return parsePolicy({ rules: [{ principals: [principalArn], actions: [...ACTIONS], paths: ['*'] }] });
}

/** A part of the path space: everything starting with `value`, or exactly the path `value`. */
export interface PathRange {
  kind: 'prefix' | 'exact';
  value: string;
}

function patternRange(pattern: string): PathRange {
  if (pattern === '*') return { kind: 'prefix', value: '' };
  if (pattern.endsWith('/*')) return { kind: 'prefix', value: pattern.slice(0, -1) };
  return { kind: 'exact', value: pattern };
}

function intersect(a: PathRange, b: PathRange): PathRange | undefined {
  if (a.kind === 'exact' && b.kind === 'exact') return a.value === b.value ? a : undefined;
  if (a.kind === 'exact') return a.value.startsWith(b.value) ? a : undefined;
  if (b.kind === 'exact') return b.value.startsWith(a.value) ? b : undefined;
  if (a.value.startsWith(b.value)) return a;
  return b.value.startsWith(a.value) ? b : undefined;
}

const patternsFor = (policy: Policy, principalArn: string, action: Action) =>
  policy.rules.filter((r) => r.principals.includes(principalArn) && r.actions.includes(action)).flatMap((r) => r.paths);

/**
 * The parts of the path space under `prefix` where the principal may both list and describe,
 * in path order, none inside another. A listing that reads only these ranges never reads an
 * item the caller may not see, so no position it hands out can name one.
 */
export function visibleRanges(policy: Policy, principalArn: string, prefix: string): PathRange[] {
  const query: PathRange = { kind: 'prefix', value: prefix };
  const found: PathRange[] = [];
  for (const listed of patternsFor(policy, principalArn, 'list')) {
    for (const described of patternsFor(policy, principalArn, 'describe')) {
      const both = intersect(patternRange(listed), patternRange(described));
      const within = both && intersect(both, query);
      if (within) found.push(within);
    }
  }
  const covered = (r: PathRange) =>
    found.some(
      (o) => o.kind === 'prefix' && r.value.startsWith(o.value) && (r.kind === 'exact' || o.value !== r.value),
    );
  const kept = found.filter((r) => !covered(r));
  const unique = new Map(kept.map((r) => [`${r.kind}:${r.value}`, r]));
  return [...unique.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** True when the principal may list and describe every path (no listing can reach a hidden item). */
export function seesEverything(policy: Policy, principalArn: string): boolean {
  const all = (action: Action) => patternsFor(policy, principalArn, action).includes('*');
  return all('list') && all('describe');
}

/** Where the policy in force comes from: fixed at start-up, or a file the server reloads. */
export interface PolicySource {
  current(): Policy;
}

/**
 * A Policy whose rules are always the source's current ones. The Vault reads `policy.rules`
 * at each decision, so handing it this view swaps the policy without rebuilding the vault (or
 * changing it). A single decision (isAllowed) reads `rules` once and sees one whole policy; a
 * listing that spans a swap re-checks every item it returns against the policy of that moment.
 */
export function livePolicy(source: PolicySource): Policy {
  return {
    get rules() {
      return source.current().rules;
    },
  };
}
