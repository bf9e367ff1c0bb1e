import { readFileSync } from 'node:fs';
import { loadConfig, policyFromText } from '../../config';
import { pathProblem } from '../../core/paths';
import { ACTIONS, type Action, decidingRule, firstRuleHolding, type Policy } from '../../core/policy';
import { normalisePrincipal } from '../../core/principal';
import { type Command, defineCommand } from '../command';
import { EXIT, UsageError } from '../exit-codes';
import { writeJson } from '../output';

const check = defineCommand({
  name: 'policy check',
  summary: 'would the policy allow this principal this action on this path? Names the deciding rule',
  options: {
    principal: { type: 'string', arg: 'ARN', help: 'the caller (an assumed-role session counts as its role)' },
    action: { type: 'string', arg: 'A', help: ACTIONS.join(', ') },
    path: { type: 'string', arg: 'P', help: 'a secret path (not needed for metrics)' },
    'policy-file': {
      type: 'string',
      arg: 'FILE',
      help: "check this file instead of the server's policy (VAULT_POLICY, VAULT_POLICY_FILE or the embedded default)",
    },
    json: { type: 'boolean', help: 'print {decision, rule?, principal}' },
  },
  async run({ values, io }) {
    const { principal: given, action, path } = values;
    if (given === undefined || action === undefined)
      throw new UsageError('policy check needs --principal and --action');
    if (!(ACTIONS as readonly string[]).includes(action))
      throw new UsageError(`--action must be one of ${ACTIONS.join(', ')}`);
    let principal: string;
    try {
      principal = normalisePrincipal(given);
    } catch {
      throw new UsageError(`--principal ${given} is not an IAM role, user or assumed-role ARN`);
    }
    const policy: Policy = values['policy-file']
      ? policyFromText(readFileSync(values['policy-file'], 'utf8'), values['policy-file'])
      : loadConfig(io.env).policy;
    let rule: number | undefined;
    // As GET /metrics decides: any rule granting metrics, whatever its paths.
    if (action === 'metrics') rule = firstRuleHolding(policy, principal, action);
    else {
      if (path === undefined) throw new UsageError('policy check needs --path for this action');
      const problem = pathProblem(path);
      if (problem) throw new UsageError(`--path: ${problem}`);
      rule = decidingRule(policy, principal, action as Action, path);
    }
    const decision = rule === undefined ? 'deny' : 'allow';
    if (values.json) writeJson(io, { decision, ...(rule !== undefined && { rule }), principal });
    else if (rule === undefined) io.stdout.write(`deny: no rule allows it (deny by default) for ${principal}\n`);
    else io.stdout.write(`allow: rule ${rule} ${JSON.stringify(policy.rules[rule])}\n`);
    return rule === undefined ? EXIT.denied : EXIT.ok;
  },
});

export const policyCommands: Command[] = [check];
