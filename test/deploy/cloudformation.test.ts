import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import yaml from 'js-yaml';
import { buildLambdaBundle, LAMBDA_ESBUILD_OPTIONS, LAMBDA_ESBUILD_PLUGINS_FILE } from '../../bench/lambda-bundle';
import { auditTableDefinition, CHAIN_INDEX, TTL_ATTRIBUTE } from '../../src/adapters/dynamodb/audit-table';
import { KEY_INDEX, PATH_INDEX, ROTATION_INDEX, tableDefinition } from '../../src/adapters/dynamodb/table';
import type { RouteSpec } from '../../src/adapters/http/route-spec';
import { ROUTES } from '../../src/adapters/http/routes';
import { isAllowed, parsePolicy } from '../../src/core/policy';

// `npm run package` (serverless package, offline, no AWS credentials) runs once; the checks
// read the CloudFormation it produced, resolving intrinsic functions instead of matching text.

const ROOT = resolve(__dirname, '../..');
const STAGE = 'dev';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Resource {
  Type: string;
  Properties?: JsonObject;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Condition?: string;
}
interface Template {
  Parameters?: Record<string, JsonObject>;
  Conditions?: JsonObject;
  Resources: Record<string, Resource>;
  Outputs?: JsonObject;
}
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Json;
  NotPrincipal?: Json;
  Action?: string | string[];
  NotAction?: Json;
  Resource?: Json;
  NotResource?: Json;
  Condition?: Record<string, Record<string, Json>>;
}

/**
 * Where this run's `npm run package` writes: a private directory (`--package`) rather than
 * `.serverless/`, so runs in parallel (several people or CI jobs testing one checkout) cannot
 * delete each other's output; serverless empties `.serverless/` on every package run anyway.
 */
let outdir: string;
let scratch: string;
let template: Template;
let state: { service: { custom: { esbuild: Record<string, unknown> } } };

const run = promisify(execFile);

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'kms-vault-package-'));
  outdir = join(scratch, 'package');
  // A fresh clone's situation: no AWS credentials, profile, region or endpoint in the
  // environment, and any proxy-aware network call would fail.
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^(AWS_|SLS_|SERVERLESS_)/.test(name)) env[name] = value;
  Object.assign(env, {
    AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'no-credentials'),
    AWS_CONFIG_FILE: join(scratch, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    npm_config_update_notifier: 'false',
  });
  await run('npm', ['run', 'package', '--', '--package', outdir], {
    cwd: ROOT,
    env,
    timeout: 220_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  template = JSON.parse(readFileSync(join(outdir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  state = JSON.parse(readFileSync(join(outdir, 'serverless-state.json'), 'utf8')) as typeof state;
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// ---------------------------------------------------------------- intrinsic functions

const PSEUDO = /^AWS::/;

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The intrinsic functions of the packaged template, resolved as CloudFormation would with these
 * parameter values (any parameter not named keeps its default, i.e. this stage's value): one
 * package checks every shape the parameters select, e.g. with and without VPC placement.
 */
function resolverFor(parameters: Record<string, string> = {}) {
  for (const name of Object.keys(parameters))
    if (!template.Parameters?.[name]) throw new Error(`override of unknown parameter ${name}`);

  function evaluateCondition(name: string): boolean {
    const evaluate = (node: Json): boolean => {
      const object = node as JsonObject;
      if ('Condition' in object) return evaluateCondition(object.Condition as string);
      if ('Fn::Not' in object) return !evaluate((object['Fn::Not'] as Json[])[0]!);
      if ('Fn::And' in object) return (object['Fn::And'] as Json[]).every(evaluate);
      if ('Fn::Or' in object) return (object['Fn::Or'] as Json[]).some(evaluate);
      if ('Fn::Equals' in object) {
        const [a, b] = (object['Fn::Equals'] as Json[]).map((side) => resolveValue(side));
        return a === b;
      }
      throw new Error(`unsupported condition ${JSON.stringify(node)}`);
    };
    const condition = template.Conditions?.[name];
    if (condition === undefined) throw new Error(`unknown condition ${name}`);
    return evaluate(condition);
  }

  /** What a `${Name}` / Ref stands for: a parameter's value (override, else default), or a symbol. */
  function referenceTo(name: string, attribute?: string): string {
    if (PSEUDO.test(name)) return `\${${name}}`;
    if (attribute) {
      if (!template.Resources[name]) throw new Error(`GetAtt of unknown resource ${name}`);
      return `getatt(${name}.${attribute})`;
    }
    const parameter = template.Parameters?.[name];
    if (parameter) {
      if (name in parameters) return parameters[name]!;
      if (typeof parameter.Default !== 'string') throw new Error(`parameter ${name} has no default`);
      return parameter.Default;
    }
    if (!template.Resources[name]) throw new Error(`Ref to unknown ${name}`);
    return `ref(${name})`;
  }

  /**
   * Resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split and Fn::If to plain values; resources
   * become symbols (`ref(X)`, `getatt(X.Arn)`), pseudo parameters stay `${AWS::...}`.
   */
  function resolveValue(node: Json | undefined): Json {
    if (node === null || node === undefined || typeof node !== 'object') return node ?? null;
    if (Array.isArray(node)) return node.map(resolveValue).filter((item) => (item as unknown) !== NO_VALUE);
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = node[key]!;
      switch (key) {
        case 'Ref':
          return argument === 'AWS::NoValue' ? (NO_VALUE as unknown as Json) : referenceTo(argument as string);
        case 'Fn::GetAtt': {
          const [name, attribute] = Array.isArray(argument)
            ? (argument as string[])
            : (argument as string).split(/\.(.*)/s);
          return referenceTo(name!, attribute);
        }
        case 'Fn::Sub': {
          const [text, variables] = Array.isArray(argument)
            ? (argument as [string, JsonObject])
            : [argument as string, {}];
          return text.replace(/\$\{([^}]+)\}/g, (_whole, inner: string) => {
            if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
            if (inner in variables) return String(resolveValue(variables[inner]));
            const [name, attribute] = inner.split(/\.(.*)/s);
            return referenceTo(name!, attribute);
          });
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, Json[]];
          return (resolveValue(parts) as Json[]).map(String).join(separator);
        }
        case 'Fn::Split': {
          const [separator, text] = argument as [string, Json];
          return String(resolveValue(text)).split(separator);
        }
        case 'Fn::If': {
          const [condition, whenTrue, whenFalse] = argument as [string, Json, Json];
          return resolveValue(evaluateCondition(condition) ? whenTrue : whenFalse);
        }
        default:
          if (key.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${key}`);
      }
    }
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      const resolved = resolveValue(value);
      if ((resolved as unknown) !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  return { evaluateCondition, resolveValue };
}

/** The template as this stage deploys it: every parameter at its default. */
function resolveValue(node: Json | undefined): Json {
  return resolverFor().resolveValue(node);
}

const list = <T>(value: T | T[] | undefined | null): T[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];

function resource(name: string): Resource {
  const found = template.Resources[name];
  if (!found) throw new Error(`no resource ${name}`);
  return found;
}

function resourcesOfType(type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** IAM action patterns (`kms:Describe*`, `*`) against one action. */
function covers(patterns: string | string[] | undefined, action: string): boolean {
  return list(patterns).some((pattern) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action),
  );
}

// Symbols for the resolved names.
const TABLE_ARN = 'getatt(VaultTable.Arn)';
const AUDIT_ARN = 'getatt(AuditTable.Arn)';
const TRAIL_RESOURCES = [AUDIT_ARN, `${AUDIT_ARN}/index/${CHAIN_INDEX}`];
/** All the role may do on the access trail: add records, read them. */
const TRAIL_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'];
const KEY_ARN = 'getatt(VaultKey.Arn)';
const MAC_KEY_ARN = 'getatt(VaultMacKey.Arn)';
const FUNCTION_ROLE = 'IamRoleLambdaExecution';
const VAULT_ROLE_ARN = `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/ref(${FUNCTION_ROLE})`;
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a JS template
const ACCOUNT_ROOT = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root';
const CONTEXT_KEYS = 'kms:EncryptionContextKeys';

/**
 * Every use of the key must carry the vault's context: kms-vault:path (a secret version) or
 * kms-vault:purpose (the listing-cursor key), and no context key but the vault's three.
 */
function expectVaultContextCondition(statement: Statement): void {
  expect(list(statement.Condition?.['ForAnyValue:StringEquals']?.[CONTEXT_KEYS] as string[]).sort()).toEqual([
    'kms-vault:path',
    'kms-vault:purpose',
  ]);
  expect(list(statement.Condition?.['ForAllValues:StringEquals']?.[CONTEXT_KEYS] as string[]).sort()).toEqual([
    'kms-vault:path',
    'kms-vault:purpose',
    'kms-vault:version',
  ]);
}

/** Every statement granted to the function's role: its inline policies and attached ones. */
function functionRoleStatements(resolver = resolverFor()): Statement[] {
  const resolve = resolver.resolveValue;
  const role = resolve(resource(FUNCTION_ROLE).Properties as Json) as JsonObject;
  expect(role.ManagedPolicyArns).toBeUndefined();
  const inline = list(role.Policies as JsonObject[]).flatMap((policy) =>
    list((policy.PolicyDocument as JsonObject).Statement as unknown as Statement[]),
  );
  const attached = [...resourcesOfType('AWS::IAM::Policy'), ...resourcesOfType('AWS::IAM::ManagedPolicy')]
    .filter(([, r]) => !r.Condition || resolver.evaluateCondition(r.Condition))
    .map(([, r]) => resolve(r.Properties as Json) as JsonObject)
    .filter((properties) => list(properties.Roles as string[]).includes(`ref(${FUNCTION_ROLE})`))
    .flatMap((properties) => list((properties.PolicyDocument as JsonObject).Statement as unknown as Statement[]));
  return [...inline, ...attached];
}

/** Method + full resource path of every API Gateway method, with its authorisation. */
function apiMethods(): Array<{ route: string; authorization: string }> {
  const pathOf = (id: Json): string => {
    const resolved = resolveValue(id);
    if (resolved === 'getatt(ApiGatewayRestApi.RootResourceId)') return '';
    const match = /^ref\((.+)\)$/.exec(String(resolved));
    if (!match) throw new Error(`unexpected resource id ${JSON.stringify(resolved)}`);
    const properties = resource(match[1]!).Properties!;
    return `${pathOf(properties.ParentId!)}/${String(properties.PathPart)}`;
  };
  return resourcesOfType('AWS::ApiGateway::Method').map(([, method]) => ({
    route: `${String(method.Properties!.HttpMethod)} ${pathOf(method.Properties!.ResourceId!)}`,
    authorization: String(method.Properties!.AuthorizationType),
  }));
}

// ---------------------------------------------------------------- checks

describe('npm run package', () => {
  it('produced the zip and the CloudFormation', () => {
    const files = readdirSync(outdir);
    expect(files).toEqual(expect.arrayContaining(['kms-vault.zip', 'cloudformation-template-update-stack.json']));
  });

  it('zipped one bundle file, built with the options bench/lambda-bundle.ts uses', async () => {
    const entries = readZip(readFileSync(join(outdir, 'kms-vault.zip')));
    expect(entries.map((entry) => entry.name)).toEqual(['src/lambda.js']);
    const { esbuild } = state.service.custom;
    expect(esbuild).toEqual({
      ...LAMBDA_ESBUILD_OPTIONS,
      exclude: [],
      plugins: LAMBDA_ESBUILD_PLUGINS_FILE,
      packager: 'npm',
    });
    const workdir = mkdtempSync(join(tmpdir(), 'kms-vault-rebuild-'));
    try {
      const ours = await buildLambdaBundle(workdir);
      expect(entries[0]!.data.equals(readFileSync(ours.file))).toBe(true);
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });

  it('runs the function on nodejs22.x, arm64, with the key, table and a valid policy', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.map(([name]) => name)).toEqual(['ApiLambdaFunction']);
    const fn = resolveValue(functions[0]![1].Properties as Json) as JsonObject;
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'src/lambda.handler',
      Role: `getatt(${FUNCTION_ROLE}.Arn)`,
    });
    const variables = (fn.Environment as JsonObject).Variables as Record<string, string>;
    expect(variables.VAULT_KMS_KEY_ID).toBe(KEY_ARN);
    expect(variables.VAULT_TABLE_NAME).toBe('ref(VaultTable)');
    expect(variables.VAULT_AUDIT_TABLE_NAME).toBe('ref(AuditTable)');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Fn::Sub variable serverless.yml leaves in the policy
    const policy = parsePolicy(JSON.parse(variables.VAULT_POLICY!.replaceAll('${AWS::AccountId}', '111122223333')));
    expect(
      isAllowed(policy, 'arn:aws:iam::111122223333:role/trading-engine', 'read', 'exchange-keys/u-1/binance'),
    ).toBe(true);
    expect(
      isAllowed(policy, 'arn:aws:iam::111122223333:role/trading-engine', 'write', 'exchange-keys/u-1/binance'),
    ).toBe(false);
    expect(resource('ApiLogGroup').Properties).toMatchObject({ RetentionInDays: 14 });
  });

  it('has one API Gateway route per route of the table, IAM-authorised unless the table says public', () => {
    const methods = apiMethods();
    // API Gateway's {path+} stands for the table's {path}; server-only routes have no event.
    const deployed = ROUTES.filter((route) => !route.serverOnly);
    const gatewayRoute = (route: RouteSpec) =>
      `${route.method.toUpperCase()} ${route.template.replace('{path}', '{path+}')}`;
    expect(methods.map((m) => m.route).sort()).toEqual(deployed.map(gatewayRoute).sort());
    for (const route of deployed) {
      const method = methods.find((m) => m.route === gatewayRoute(route))!;
      expect({ route: method.route, authorization: method.authorization }).toEqual({
        route: method.route,
        authorization: route.action === 'public' ? 'NONE' : 'AWS_IAM',
      });
    }
    expect(
      methods
        .filter((m) => m.authorization === 'NONE')
        .map((m) => m.route)
        .sort(),
    ).toEqual(['GET /healthz', 'GET /openapi.json']);
    expect(resourcesOfType('AWS::ApiGateway::Authorizer')).toEqual([]);
  });

  it('lets the function role touch only the tables, their indexes, the two keys and its own logs', () => {
    const statements = functionRoleStatements();
    const tableResources = [
      TABLE_ARN,
      `${TABLE_ARN}/index/${PATH_INDEX}`,
      `${TABLE_ARN}/index/${ROTATION_INDEX}`,
      `${TABLE_ARN}/index/${KEY_INDEX}`,
    ];
    const logGroup = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/kms-vault-${STAGE}`;
    const allowed: Record<string, { actions: string[]; resources: (r: string) => boolean }> = {
      dynamodb: {
        actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
        resources: (r) => tableResources.includes(r) || TRAIL_RESOURCES.includes(r),
      },
      kms: {
        actions: ['GenerateDataKey', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo', 'DescribeKey'],
        resources: (r) => r === KEY_ARN,
      },
      // The HMAC key only makes and checks MACs; the data key never does.
      kmsMac: {
        actions: ['GenerateMac', 'VerifyMac'],
        resources: (r) => r === MAC_KEY_ARN,
      },
      logs: {
        actions: ['CreateLogGroup', 'CreateLogStream', 'PutLogEvents', 'TagResource'],
        resources: (r) => r.startsWith(`${logGroup}*:`),
      },
    };
    const seen = new Set<string>();
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
      const resources = list(statement.Resource as string | string[]);
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) {
        expect(typeof r).toBe('string');
        expect(r).not.toBe('*');
        expect(r).not.toMatch(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/);
      }
      for (const action of list(statement.Action)) {
        const [prefix, name] = action.split(':') as [string, string];
        const service = prefix === 'kms' && name.endsWith('Mac') ? 'kmsMac' : prefix;
        expect(allowed[service]?.actions).toContain(name);
        seen.add(action);
        for (const r of resources)
          expect({ action, resource: r, allowed: allowed[service]!.resources(r) }).toEqual({
            action,
            resource: r,
            allowed: true,
          });
      }
    }
    // Everything the adapters call is granted (and nothing else, above).
    for (const action of [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'kms:GenerateDataKey',
      'kms:Decrypt',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
      'kms:DescribeKey',
      'kms:GenerateMac',
    ]) {
      expect(seen).toContain(action);
    }
    // The DynamoDB grants cover every index by name.
    const dynamo = statements.filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(new Set(dynamo.flatMap((s) => list(s.Resource as string[])))).toEqual(
      new Set([...tableResources, ...TRAIL_RESOURCES]),
    );
  });

  it('creates the access trail table as auditTableDefinition(), with TTL, PITR and deletion protection', () => {
    const table = resource('AuditTable');
    const properties = resolveValue(table.Properties as Json) as JsonObject;
    const expected = auditTableDefinition(`kms-vault-${STAGE}-audit`);
    expect(properties).toEqual({
      TableName: expected.TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: expected.AttributeDefinitions,
      KeySchema: expected.KeySchema,
      GlobalSecondaryIndexes: expected.GlobalSecondaryIndexes,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: false },
    });
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('lets the role only add to and read the access trail: no DeleteItem, no UpdateItem, so only TTL removes a record', () => {
    const statements = functionRoleStatements();
    const onTrail = statements.filter((s) =>
      list(s.Resource as string | string[]).some((r) => TRAIL_RESOURCES.includes(r) || r.startsWith(AUDIT_ARN)),
    );
    expect(onTrail.length).toBeGreaterThan(0);
    const granted = new Set<string>();
    for (const statement of onTrail) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Condition).toBeUndefined();
      for (const action of list(statement.Action)) granted.add(action);
      for (const forbidden of [
        'dynamodb:DeleteItem',
        'dynamodb:UpdateItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteTable',
        'dynamodb:UpdateTimeToLive',
        'dynamodb:PartiQLDelete',
        'dynamodb:PartiQLUpdate',
      ])
        expect({ forbidden, covered: covers(statement.Action, forbidden) }).toEqual({ forbidden, covered: false });
    }
    expect([...granted].sort()).toEqual(TRAIL_ACTIONS);
    // The secrets table's grants do not reach the trail.
    for (const statement of statements.filter((s) => !onTrail.includes(s)))
      for (const r of list(statement.Resource as string | string[])) expect(r.startsWith(AUDIT_ARN)).toBe(false);
  });

  it('puts the encryption-context condition on every crypto grant to the role', () => {
    // GenerateMac and VerifyMac take no context: they are only granted on the HMAC key (above).
    const crypto = functionRoleStatements().filter((s) =>
      list(s.Action).some((a) => a.startsWith('kms:') && a !== 'kms:DescribeKey' && !a.endsWith('Mac')),
    );
    expect(crypto.length).toBeGreaterThan(0);
    for (const statement of crypto) {
      expectVaultContextCondition(statement);
    }
    // DescribeKey (no context) stands alone.
    const describe = functionRoleStatements().filter((s) => list(s.Action).includes('kms:DescribeKey'));
    expect(describe.map((s) => list(s.Action))).toEqual([['kms:DescribeKey']]);
  });

  describe('the key', () => {
    const CRYPTO = [
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:GenerateDataKeyPair',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
      'kms:CreateGrant',
      'kms:GenerateMac',
    ];
    const keyStatements = () =>
      list(
        ((resolveValue(resource('VaultKey').Properties as Json) as JsonObject).KeyPolicy as JsonObject)
          .Statement as unknown as Statement[],
      );
    const principals = (s: Statement) =>
      s.Principal === '*' ? ['*'] : list((s.Principal as JsonObject | undefined)?.AWS as string | string[]);

    it('is a symmetric key with automatic rotation, kept if the stack goes', () => {
      const key = resource('VaultKey');
      expect(key.Properties).toMatchObject({
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        EnableKeyRotation: true,
      });
      expect(key.DeletionPolicy).toBe('Retain');
      expect(resolveValue(resource('VaultKeyAlias').Properties as Json)).toEqual({
        AliasName: `alias/kms-vault-${STAGE}`,
        TargetKeyId: 'ref(VaultKey)',
      });
    });

    it('lets only the vault role use it, never the account root, and only with the context', () => {
      const statements = keyStatements();
      for (const statement of statements) {
        expect(statement.NotAction).toBeUndefined();
        expect(statement.NotPrincipal).toBeUndefined();
      }
      const allows = statements.filter((s) => s.Effect === 'Allow');
      const decrypters = allows.filter((s) => covers(s.Action, 'kms:Decrypt'));
      expect(decrypters.length).toBe(1);
      for (const action of CRYPTO) {
        for (const statement of allows.filter((s) => covers(s.Action, action))) {
          expect({ action, principals: principals(statement) }).toEqual({ action, principals: [VAULT_ROLE_ARN] });
          expectVaultContextCondition(statement);
        }
      }
      for (const action of ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']) {
        expect(allows.some((s) => covers(s.Action, action) && principals(s).includes(VAULT_ROLE_ARN))).toBe(true);
      }
      // The principal is the role the function runs as.
      expect(resource(FUNCTION_ROLE).Properties).toMatchObject({ Path: '/' });
    });

    it('lets account administrators manage it, and only the break-glass role delete it', () => {
      const statements = keyStatements();
      const admin = statements.filter(
        (s) => s.Effect === 'Allow' && principals(s).includes(ACCOUNT_ROOT) && !s.Condition,
      );
      expect(admin).toHaveLength(1);
      for (const action of [
        'kms:PutKeyPolicy',
        'kms:DescribeKey',
        'kms:EnableKeyRotation',
        'kms:DisableKey',
        'kms:CreateAlias',
        'kms:TagResource',
        'kms:CancelKeyDeletion',
        'kms:GetKeyPolicy',
        'kms:ListResourceTags',
      ]) {
        expect({ action, covered: covers(admin[0]!.Action, action) }).toEqual({ action, covered: true });
      }
      for (const action of [...CRYPTO, 'kms:ScheduleKeyDeletion']) {
        expect({ action, covered: covers(admin[0]!.Action, action) }).toEqual({ action, covered: false });
      }
      const breakGlass = `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${String(template.Parameters!.BreakGlassRoleName!.Default)}`;
      const deny = statements.filter((s) => s.Effect === 'Deny' && covers(s.Action, 'kms:ScheduleKeyDeletion'));
      expect(deny).toHaveLength(1);
      expect(principals(deny[0]!)).toEqual(['*']);
      expect(deny[0]!.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': breakGlass } });
      const schedulers = statements.filter((s) => s.Effect === 'Allow' && covers(s.Action, 'kms:ScheduleKeyDeletion'));
      for (const statement of schedulers)
        expect(statement.Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': breakGlass } });
    });
  });

  it('creates the table exactly as tableDefinition(), with PITR and deletion protection', () => {
    const table = resource('VaultTable');
    const properties = resolveValue(table.Properties as Json) as JsonObject;
    const expected = tableDefinition(`kms-vault-${STAGE}`);
    const sortBy = <T>(items: T[], key: (item: T) => string) => [...items].sort((a, b) => key(a).localeCompare(key(b)));
    const normaliseIndexes = (indexes: unknown[]) =>
      sortBy(
        indexes as Array<{
          IndexName: string;
          KeySchema: unknown;
          Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
        }>,
        (i) => i.IndexName,
      ).map((i) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: {
          ProjectionType: i.Projection.ProjectionType,
          NonKeyAttributes: [...(i.Projection.NonKeyAttributes ?? [])].sort(),
        },
      }));
    expect(properties.TableName).toBe(expected.TableName);
    expect(properties.BillingMode).toBe(expected.BillingMode);
    expect(properties.KeySchema).toEqual(expected.KeySchema);
    expect(sortBy(properties.AttributeDefinitions as Array<{ AttributeName: string }>, (a) => a.AttributeName)).toEqual(
      sortBy(expected.AttributeDefinitions!, (a) => a.AttributeName!),
    );
    expect(normaliseIndexes(properties.GlobalSecondaryIndexes as unknown[])).toEqual(
      normaliseIndexes(expected.GlobalSecondaryIndexes!),
    );
    expect(properties.LocalSecondaryIndexes).toBeUndefined();
    expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(properties.DeletionProtectionEnabled).toBe(true);
    // AWS owned key (see infra/README.md); values are envelope-encrypted under VaultKey anyway.
    expect(properties.SSESpecification).toEqual({ SSEEnabled: false });
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('has no dependency cycle (the key policy names the role; the role policy names the key)', () => {
    const dependencies = (node: Json, into: Set<string>): Set<string> => {
      if (node === null || typeof node !== 'object') return into;
      if (Array.isArray(node)) {
        for (const item of node) dependencies(item, into);
        return into;
      }
      for (const [key, value] of Object.entries(node)) {
        if (key === 'Ref' && typeof value === 'string') into.add(value);
        else if (key === 'Fn::GetAtt') into.add(Array.isArray(value) ? String(value[0]) : String(value).split('.')[0]!);
        else if (key === 'Fn::Sub') {
          const text = Array.isArray(value) ? String(value[0]) : String(value);
          for (const [, inner] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) into.add(inner!.split('.')[0]!);
        }
        dependencies(value, into);
      }
      return into;
    };
    const graph = new Map(
      Object.entries(template.Resources).map(([name, r]) => [
        name,
        [...dependencies(r.Properties ?? null, new Set(list(r.DependsOn)))].filter((dep) => dep in template.Resources),
      ]),
    );
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (name: string, trail: string[]) => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(name)), name].join(' -> '));
        return;
      }
      state.set(name, 'visiting');
      for (const dep of graph.get(name)!) visit(dep, [...trail, name]);
      state.set(name, 'done');
    };
    for (const name of graph.keys()) visit(name, []);
    expect(cycles).toEqual([]);
    // The order that makes the key policy valid: the role exists before the key names it.
    expect(graph.get('VaultKey')).toContain(FUNCTION_ROLE);
    expect(graph.get('ApiLambdaFunction')).toContain('VaultRolePolicy');
  });

  it('grants the example caller GET on exchange keys and their metadata only', () => {
    const policy = resolveValue(resource('TradingEngineInvokePolicy').Properties as Json) as JsonObject;
    const statements = list((policy.PolicyDocument as JsonObject).Statement as unknown as Statement[]);
    const api = `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:ref(ApiGatewayRestApi)/${STAGE}`;
    expect(statements.map((s) => [s.Effect, s.Action])).toEqual([['Allow', 'execute-api:Invoke']]);
    expect(list(statements[0]!.Resource as string[]).sort()).toEqual([
      `${api}/GET/v1/metadata/exchange-keys/*`,
      `${api}/GET/v1/secrets/exchange-keys/*`,
    ]);
  });
});

describe('VPC placement: a fixed egress address for exchange IP whitelists', () => {
  const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-4e5f6a7b'];
  const GROUPS = ['sg-0123abcd'];
  const IN_VPC = { VpcSubnetIds: SUBNETS.join(','), VpcSecurityGroupIds: GROUPS.join(',') };
  const ENDPOINT = { VpcId: 'vpc-0f1e2d3c', VpcDynamoDbEndpointRouteTableIds: 'rtb-0a1b2c3d,rtb-4e5f6a7b' };
  // The EC2 actions of AWSLambdaVPCAccessExecutionRole (v3), which Lambda needs to create,
  // find and delete the function's network interfaces; the policy's logs:* on "*" is left out.
  const ENI_ACTIONS = [
    'ec2:AssignPrivateIpAddresses',
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:UnassignPrivateIpAddresses',
  ];
  type Resolver = ReturnType<typeof resolverFor>;
  const touchesEc2 = (s: Statement) => list(s.Action).some((action) => action.startsWith('ec2:'));
  const functionProperties = (resolver: Resolver) =>
    resolver.resolveValue(resource('ApiLambdaFunction').Properties as Json) as JsonObject;
  const present = <T extends { Condition?: string }>(resolver: Resolver, entries: Array<[string, T]>) =>
    entries.filter(([, r]) => !r.Condition || resolver.evaluateCondition(r.Condition));
  const ec2Resources = (resolver: Resolver) =>
    present(
      resolver,
      Object.entries(template.Resources).filter(([, r]) => r.Type.startsWith('AWS::EC2::')),
    );
  const outputs = (resolver: Resolver) =>
    Object.fromEntries(
      present(
        resolver,
        Object.entries(template.Outputs ?? {}) as Array<[string, JsonObject & { Condition?: string }]>,
      ).map(([name, output]) => [name, (resolver.resolveValue(output) as JsonObject).Value]),
    );

  it('is off by default: no VpcConfig, no EC2 permission or resource, no VPC output', () => {
    const defaults = resolverFor();
    for (const name of ['VpcSubnetIds', 'VpcSecurityGroupIds', 'VpcId', 'VpcDynamoDbEndpointRouteTableIds'])
      expect({ name, value: template.Parameters![name]!.Default }).toEqual({ name, value: '' });
    expect(defaults.evaluateCondition('PlaceInVpc')).toBe(false);
    expect(functionProperties(defaults).VpcConfig).toBeUndefined();
    const statements = functionRoleStatements(defaults);
    expect(statements.filter(touchesEc2)).toEqual([]);
    expect(statements.filter((s) => s.Effect !== 'Allow')).toEqual([]);
    expect(ec2Resources(defaults)).toEqual([]);
    expect(Object.keys(outputs(defaults)).filter((name) => name.includes('Vpc'))).toEqual([]);
  });

  it('runs the function in exactly the given subnets and security groups, and names them in an output', () => {
    const inVpc = resolverFor(IN_VPC);
    expect(functionProperties(inVpc).VpcConfig).toEqual({ SubnetIds: SUBNETS, SecurityGroupIds: GROUPS });
    expect(outputs(inVpc)).toMatchObject({
      VaultVpcSubnetIds: SUBNETS.join(','),
      VaultVpcSecurityGroupIds: GROUPS.join(','),
    });
    // Lambda checks the role's network-interface permissions when it places the function in
    // the VPC: they are in the policy the function is created after.
    expect(list(resource('ApiLambdaFunction').DependsOn)).toContain('VaultRolePolicy');
    const policy = inVpc.resolveValue(resource('VaultRolePolicy').Properties as Json) as JsonObject;
    expect(
      list((policy.PolicyDocument as JsonObject).Statement as unknown as Statement[]).filter(touchesEc2),
    ).toHaveLength(2);
    // Still nothing created in the VPC: the subnets, their NAT gateways and the groups are the user's.
    expect(ec2Resources(inVpc)).toEqual([]);
  });

  it('lets Lambda manage the network interfaces on "*", as AWS requires, and denies them to the function code', () => {
    const statements = functionRoleStatements(resolverFor(IN_VPC));
    const network = statements.filter(touchesEc2);
    const allow = network.filter((s) => s.Effect === 'Allow');
    const deny = network.filter((s) => s.Effect === 'Deny');
    expect(allow).toHaveLength(1);
    expect(deny).toHaveLength(1);
    expect(list(allow[0]!.Action).sort()).toEqual(ENI_ACTIONS);
    expect(allow[0]!.Resource).toBe('*');
    expect(allow[0]!.Condition).toBeUndefined();
    // Requests signed with the function's runtime credentials carry lambda:SourceFunctionArn;
    // Lambda's own interface management does not. The deny covers every action granted.
    expect(list(deny[0]!.Action).sort()).toEqual(ENI_ACTIONS);
    expect(deny[0]!.Resource).toBe('*');
    expect(deny[0]!.Condition).toEqual({ Null: { 'lambda:SourceFunctionArn': 'false' } });
    // These two are the role's only statements on "*".
    expect(statements.filter((s) => list(s.Resource as string | string[]).includes('*'))).toEqual(network);
  });

  it('widens nothing else: every other statement of the role is the same with and without a VPC', () => {
    const inVpc = functionRoleStatements(resolverFor(IN_VPC));
    expect(inVpc.filter((s) => !touchesEc2(s))).toEqual(functionRoleStatements());
    expect(resolverFor(IN_VPC).resolveValue(resource(FUNCTION_ROLE).Properties as Json)).toEqual(
      resolveValue(resource(FUNCTION_ROLE).Properties as Json),
    );
    // Only the function's VpcConfig changes on the function.
    const { VpcConfig: _vpc, ...rest } = functionProperties(resolverFor(IN_VPC));
    expect(rest).toEqual(functionProperties(resolverFor()));
  });

  it('does not drop a half-set placement: Lambda gets an empty id and refuses it, failing the deploy', () => {
    const subnetsOnly = resolverFor({ VpcSubnetIds: SUBNETS.join(',') });
    expect(functionProperties(subnetsOnly).VpcConfig).toEqual({ SubnetIds: SUBNETS, SecurityGroupIds: [''] });
    const groupsOnly = resolverFor({ VpcSecurityGroupIds: GROUPS.join(',') });
    expect(functionProperties(groupsOnly).VpcConfig).toEqual({ SubnetIds: [''], SecurityGroupIds: GROUPS });
  });

  it('adds the free DynamoDB gateway endpoint only on the route tables given, with no policy narrowing it', () => {
    expect(ec2Resources(resolverFor({ ...IN_VPC }))).toEqual([]);
    const withEndpoint = resolverFor({ ...IN_VPC, ...ENDPOINT });
    const endpoints = ec2Resources(withEndpoint);
    expect(endpoints.map(([name, r]) => [name, r.Type])).toEqual([
      ['VaultDynamoDbGatewayEndpoint', 'AWS::EC2::VPCEndpoint'],
    ]);
    expect(withEndpoint.resolveValue(endpoints[0]![1].Properties as Json)).toEqual({
      VpcEndpointType: 'Gateway',
      VpcId: ENDPOINT.VpcId,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation pseudo parameter, not a JS template
      ServiceName: 'com.amazonaws.${AWS::Region}.dynamodb',
      RouteTableIds: ENDPOINT.VpcDynamoDbEndpointRouteTableIds.split(','),
    });
    expect(outputs(withEndpoint)).toMatchObject({
      VaultDynamoDbGatewayEndpointId: 'ref(VaultDynamoDbGatewayEndpoint)',
    });
  });

  it('accepts only comma-separated ids of the right kind in its parameters', () => {
    const accepts = (name: string, value: string) =>
      new RegExp(String(template.Parameters![name]!.AllowedPattern)).test(value);
    const cases: Array<[string, string, boolean]> = [
      ['VpcSubnetIds', '', true],
      ['VpcSubnetIds', SUBNETS.join(','), true],
      ['VpcSubnetIds', 'subnet-0a1b2c3d, subnet-4e5f6a7b', false],
      ['VpcSubnetIds', 'subnet-a', false],
      ['VpcSubnetIds', 'sg-0123abcd', false],
      ['VpcSubnetIds', 'subnet-0a1b2c3d,', false],
      ['VpcSecurityGroupIds', 'sg-0123abcd,sg-0123456789abcdef0', true],
      ['VpcSecurityGroupIds', 'default', false],
      ['VpcId', 'vpc-0f1e2d3c', true],
      ['VpcId', 'vpc-0f1e2d3c,vpc-0f1e2d3d', false],
      ['VpcDynamoDbEndpointRouteTableIds', ENDPOINT.VpcDynamoDbEndpointRouteTableIds, true],
      ['VpcDynamoDbEndpointRouteTableIds', 'rtb-main', false],
    ];
    for (const [name, value, expected] of cases)
      expect({ name, value, accepted: accepts(name, value) }).toEqual({ name, value, accepted: expected });
  });
});

describe('infra/vault.yml', () => {
  // The template uses long-form intrinsics only, so plain YAML parsing reads it.
  const standalone = () => yaml.load(readFileSync(join(ROOT, 'infra/vault.yml'), 'utf8')) as Template;
  const BOUND_BY_SERVERLESS = ['IamRoleLambdaExecution', 'ApiGatewayRestApi'];

  it('is the one source of the packaged key, table and policies', () => {
    const source = standalone();
    for (const [name, definition] of Object.entries(source.Resources))
      expect({ name, definition: template.Resources[name] }).toEqual({ name, definition });
    expect(template.Conditions).toEqual(source.Conditions);
    for (const [name, output] of Object.entries(source.Outputs ?? {})) expect(template.Outputs?.[name]).toEqual(output);
    const included = Object.keys(source.Parameters!).filter((name) => !BOUND_BY_SERVERLESS.includes(name));
    expect(Object.keys(template.Parameters!).sort()).toEqual(included.sort());
    for (const name of included) {
      const { Default: _default, ...declared } = source.Parameters![name]!;
      const { Default: _stageDefault, ...packaged } = template.Parameters![name]!;
      expect(packaged).toEqual(declared);
    }
    // In the package, the two names are serverless' own function role and REST API.
    expect(resource('IamRoleLambdaExecution').Type).toBe('AWS::IAM::Role');
    expect(resource('ApiGatewayRestApi').Type).toBe('AWS::ApiGateway::RestApi');
  });

  it('lets the role unwrap under the listed previous keys only when there are some, and never wrap anew', () => {
    const source = standalone();
    const statements = list(
      ((source.Resources.VaultRolePolicy!.Properties as JsonObject).PolicyDocument as JsonObject)
        .Statement as unknown as Json[],
    );
    const conditional = statements.find((s) => typeof s === 'object' && s !== null && 'Fn::If' in (s as JsonObject));
    const [condition, whenSet, whenUnset] = (conditional as JsonObject)['Fn::If'] as [string, Statement, Json];
    expect(condition).toBe('HasPreviousKeys');
    expect(whenUnset).toEqual({ Ref: 'AWS::NoValue' });
    expect(list(whenSet.Action).sort()).toEqual(['kms:Decrypt', 'kms:ReEncryptFrom']);
    expect(whenSet.Resource).toEqual({ 'Fn::Split': [',', { Ref: 'PreviousKeyArns' }] });
    expectVaultContextCondition(whenSet);
    // The same list reaches the function as VAULT_KMS_PREVIOUS_KEY_IDS.
    expect(resolveValue(resource('ApiLambdaFunction').Properties as Json)).toMatchObject({
      Environment: { Variables: { VAULT_KMS_PREVIOUS_KEY_IDS: '' } },
    });
  });

  it('deploys alone: every reference names one of its parameters, resources or conditions', () => {
    const source = standalone();
    const names = new Set([...Object.keys(source.Parameters ?? {}), ...Object.keys(source.Resources)]);
    const missing: string[] = [];
    const check = (name: string) => {
      if (!PSEUDO.test(name) && !names.has(name)) missing.push(name);
    };
    const walk = (node: Json) => {
      if (node === null || typeof node !== 'object') return;
      if (Array.isArray(node)) return node.forEach(walk);
      for (const [key, value] of Object.entries(node)) {
        if (key === 'Ref') check(value as string);
        else if (key === 'Fn::GetAtt')
          check(Array.isArray(value) ? (value[0] as string) : (value as string).split('.')[0]!);
        else if (key === 'Fn::Sub') {
          const [text, variables] = Array.isArray(value) ? (value as [string, JsonObject]) : [value as string, {}];
          for (const [, inner] of text.matchAll(/\$\{([^!}][^}]*)\}/g))
            if (!(inner! in variables)) check(inner!.split('.')[0]!);
        } else if (key === 'Fn::If' || (key === 'Condition' && typeof value === 'string')) {
          // (A policy statement's Condition is an object, not a template condition's name.)
          const condition = key === 'Condition' ? (value as string) : ((value as Json[])[0] as string);
          if (!(condition in (source.Conditions ?? {}))) missing.push(`condition ${condition}`);
        }
        walk(value);
      }
    };
    walk(source.Resources as unknown as Json);
    walk((source.Outputs ?? {}) as Json);
    expect(missing).toEqual([]);
    for (const name of BOUND_BY_SERVERLESS) expect(source.Parameters![name]).toBeDefined();
  });
});

// ---------------------------------------------------------------- zip reading

/** The entries of a zip file (stored or deflated), from its central directory. */
function readZip(zip: Buffer): Array<{ name: string; data: Buffer }> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries: Array<{ name: string; data: Buffer }> = [];
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('bad central directory');
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const local = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    entries.push({ name, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
