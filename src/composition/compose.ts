import type { Config } from '../config';
import { type Adapters, type ComposeOptions, type Composition, composeFrom } from './assemble';
import { awsAdapters } from './aws-adapters';
import { embeddedAdapters } from './embedded-adapters';

/**
 * The composition root for the server and the CLI: the adapters of the config's mode, and the
 * vault over them. (The Lambda handler composes from awsAdapters alone; see lambda.ts.)
 */
export async function compose(config: Config, options: ComposeOptions): Promise<Composition> {
  return composeFrom(config, await adaptersFor(config), options);
}

/** The adapters of the config's mode alone, for a command that needs no vault (audit verify). */
export async function adaptersFor(config: Config): Promise<Adapters> {
  return config.mode === 'embedded' ? embeddedAdapters(config) : awsAdapters(config);
}
