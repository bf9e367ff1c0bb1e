import { GenerateMacCommand, type KMSClient } from '@aws-sdk/client-kms';
import { IntegrityError } from '../../core/errors';
import { macInput } from '../../core/mac-message';
import type { MacProvider } from '../../core/ports';
import { mapKmsError } from './errors';

/** KMS caps GenerateMac messages at 4096 bytes. */
const MAX_MESSAGE = 4096;

/**
 * MacProvider over a KMS HMAC key (HMAC_256, GENERATE_VERIFY_MAC): the key never leaves KMS, and
 * its key policy lets only the vault role call GenerateMac.
 */
export class KmsMacProvider implements MacProvider {
  constructor(
    private readonly keyId: string,
    private readonly client: KMSClient,
  ) {}

  async mac(purpose: string, message: Buffer): Promise<Buffer> {
    const input = macInput(purpose, message);
    if (input.length > MAX_MESSAGE) throw new Error(`a MAC message is at most ${MAX_MESSAGE} bytes`);
    let out: { Mac?: Uint8Array | undefined };
    try {
      out = await this.client.send(
        new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: input }),
      );
    } catch (error) {
      throw mapKmsError(error);
    }
    if (out.Mac?.length !== 32) throw new IntegrityError('kms returned an unexpected MAC');
    return Buffer.from(out.Mac);
  }
}
