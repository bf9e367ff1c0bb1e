import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake KMS answered (or refused). */
export interface KmsCall {
  operation: string;
  keyId?: string;
  context?: Record<string, string>;
  /** The SigV4 Authorization header the SDK sent. */
  authorization?: string;
  error?: string;
}

export interface FakeKms {
  endpoint: string;
  keyArn: string;
  calls: KmsCall[];
  close(): Promise<void>;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const MAGIC = Buffer.from('FKMS1');

/** The encryption context as GCM additional data: sorted pairs, so key order does not matter. */
function aad(context: Record<string, string> = {}): Buffer {
  return Buffer.from(
    JSON.stringify(
      Object.keys(context)
        .sort()
        .map((key) => [key, context[key]]),
    ),
  );
}

/**
 * A tiny KMS on 127.0.0.1 speaking the JSON 1.1 protocol the SDK uses (`X-Amz-Target:
 * TrentService.<Operation>`, blobs in base64): GenerateDataKey, Decrypt and DescribeKey for one
 * symmetric key. Data keys are wrapped with AES-256-GCM under a master key with the encryption
 * context as additional data, so Decrypt fails exactly when KMS would: a different context or
 * key. The Lambda bundle carries its own SDK, so a mock of the test's SDK could not reach it.
 */
export async function startFakeKms(region = 'eu-west-1', account = '111122223333'): Promise<FakeKms> {
  const keyId = randomUUID();
  const keyArn = `arn:aws:kms:${region}:${account}:key/${keyId}`;
  const master = randomBytes(32);
  const calls: KmsCall[] = [];

  const isThisKey = (id: unknown) => id === keyArn || id === keyId;

  const wrap = (plaintext: Buffer, context?: Record<string, string>): Buffer => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', master, iv).setAAD(aad(context));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), ct]);
  };

  const unwrap = (blob: Buffer, context?: Record<string, string>): Buffer => {
    if (blob.length < MAGIC.length + 28 || !blob.subarray(0, MAGIC.length).equals(MAGIC))
      throw new KmsError('InvalidCiphertextException', 'not a ciphertext of this KMS');
    const iv = blob.subarray(MAGIC.length, MAGIC.length + 12);
    const tag = blob.subarray(MAGIC.length + 12, MAGIC.length + 28);
    try {
      const decipher = createDecipheriv('aes-256-gcm', master, iv, { authTagLength: 16 })
        .setAAD(aad(context))
        .setAuthTag(tag);
      return Buffer.concat([decipher.update(blob.subarray(MAGIC.length + 28)), decipher.final()]);
    } catch {
      throw new KmsError('InvalidCiphertextException', 'the ciphertext or its encryption context does not match');
    }
  };

  type Body = Record<string, unknown>;
  const operations: Record<string, (body: Body) => Body> = {
    GenerateDataKey: (body) => {
      if (!isThisKey(body.KeyId)) throw new KmsError('NotFoundException', `key ${String(body.KeyId)} does not exist`);
      if (body.KeySpec !== 'AES_256') throw new KmsError('ValidationException', 'KeySpec must be AES_256');
      const plaintext = randomBytes(32);
      const blob = wrap(plaintext, body.EncryptionContext as Record<string, string> | undefined);
      return { KeyId: keyArn, Plaintext: plaintext.toString('base64'), CiphertextBlob: blob.toString('base64') };
    },
    Decrypt: (body) => {
      if (body.KeyId !== undefined && !isThisKey(body.KeyId))
        throw new KmsError('IncorrectKeyException', 'the ciphertext was not wrapped by that key');
      const plaintext = unwrap(
        Buffer.from(String(body.CiphertextBlob), 'base64'),
        body.EncryptionContext as Record<string, string> | undefined,
      );
      return { KeyId: keyArn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    DescribeKey: (body) => {
      if (!isThisKey(body.KeyId)) throw new KmsError('NotFoundException', `key ${String(body.KeyId)} does not exist`);
      return {
        KeyMetadata: {
          AWSAccountId: account,
          KeyId: keyId,
          Arn: keyArn,
          Enabled: true,
          KeyState: 'Enabled',
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeyManager: 'CUSTOMER',
          Origin: 'AWS_KMS',
          CreationDate: 1767225600,
        },
      };
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : target;
    const call: KmsCall = { operation, ...(req.headers.authorization && { authorization: req.headers.authorization }) };
    calls.push(call);
    const reply = (status: number, body: Body) => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'POST') throw new KmsError('UnknownOperationException', 'POST only');
      const body = JSON.parse(raw.toString('utf8') || '{}') as Body;
      if (typeof body.KeyId === 'string') call.keyId = body.KeyId;
      if (body.EncryptionContext) call.context = body.EncryptionContext as Record<string, string>;
      const op = operations[operation];
      if (!op) throw new KmsError('UnknownOperationException', `operation ${operation} is not faked`);
      reply(200, op(body));
    } catch (error) {
      const type = error instanceof KmsError ? error.type : 'KMSInternalException';
      call.error = type;
      reply(error instanceof KmsError ? 400 : 500, { __type: type, message: (error as Error).message });
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    keyArn,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
