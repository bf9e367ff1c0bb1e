import { AuthenticationError } from './errors';

const ASSUMED_ROLE = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]{2,64}$/;
const IAM_ROLE_OR_USER = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(role|user)\/([\w+=,.@/-]{1,512})$/;

/**
 * The caller's principal: an IAM role or user ARN. A session of an assumed role is the role it
 * came from (the session name is chosen by the caller, so it must not widen or narrow rights).
 * Assumed-role ARNs carry no role path, so the role is named by account and name alone and any
 * path on the role ARN is dropped. The account root is refused: no service should run as it.
 */
export function normalisePrincipal(arn: string): string {
  const assumed = ASSUMED_ROLE.exec(arn);
  if (assumed) return `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`;
  const iam = IAM_ROLE_OR_USER.exec(arn);
  if (iam) {
    if (iam[3] === 'role') {
      const name = iam[4]!.split('/').pop()!;
      return `arn:${iam[1]}:iam::${iam[2]}:role/${name}`;
    }
    return arn;
  }
  throw new AuthenticationError(/:root$/.test(arn) ? 'account root is refused' : 'unrecognised principal ARN');
}
