import type { Config } from '../config';
import { type ComposeOptions, type Composition, composeFrom } from './assemble';
import { awsAdapters } from './aws-adapters';
import { embeddedAdapters } from './embedded-adapters';

/**
 * The composition root for the server and the CLI: the adapters of the config's mode, and the
 * vault over them. (The Lambda handler composes from awsAdapters alone; see lambda.ts.)
 */
export async function compose(config: Config, options: ComposeOptions): Promise<Composition> {
  const adapters = config.mode === 'embedded' ? await embeddedAdapters(config) : awsAdapters(config);
  return composeFrom(config, adapters, options);
}
