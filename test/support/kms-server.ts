// A small AWS KMS stand-in for tests: the AWS JSON 1.1 protocol over real HTTP (POST /, header
// X-Amz-Target: TrentService.<Operation>, JSON bodies with base64 blobs), implementing the calls the
// key provider makes: CreateKey, CreateAlias, ListAliases (paged), Encrypt, Decrypt, GenerateDataKey.
// Ciphertext blobs are AES-256-GCM under the named key with the encryption context as AAD, so a wrong
// key, alias or context fails as it does in KMS. Requests must carry a SigV4 Authorization header
// naming the configured access key id.
import http from 'node:http';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface KmsServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Calls received, by operation. */
  calls: Record<string, number>;
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

type Body = Record<string, unknown>;

export async function startKmsServer(
  opts: { pageSize?: number; accessKeyId?: string } = {},
): Promise<KmsServer> {
  const accessKeyId = opts.accessKeyId ?? 'AKIDKMSTEST';
  const keys = new Map<string, Buffer>();
  const aliases = new Map<string, string>();
  const calls: Record<string, number> = {};
  const pageSize = opts.pageSize ?? 2;

  const resolve = (id: unknown): string => {
    if (typeof id !== 'string') throw new KmsError('ValidationException', 'KeyId is required');
    const keyId = id.startsWith('alias/') ? aliases.get(id) : id;
    if (!keyId || !keys.has(keyId)) throw new KmsError('NotFoundException', `key ${id} not found`);
    return keyId;
  };
  const contextAad = (ctx: unknown) =>
    Buffer.from(
      JSON.stringify(
        Object.entries((ctx ?? {}) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b)),
      ),
    );
  const encrypt = (keyId: string, plain: Buffer, ctx: unknown): Buffer => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', keys.get(keyId) as Buffer, iv);
    c.setAAD(contextAad(ctx));
    const body = Buffer.concat([c.update(plain), c.final()]);
    const id = Buffer.from(keyId);
    return Buffer.concat([Buffer.from([id.length]), id, iv, body, c.getAuthTag()]);
  };

  const ops: Record<string, (b: Body) => Body> = {
    CreateKey: (b) => {
      const keyId = randomUUID();
      keys.set(keyId, randomBytes(32));
      return {
        KeyMetadata: {
          KeyId: keyId,
          Arn: `arn:aws:kms:test:000000000000:key/${keyId}`,
          Description: b.Description,
        },
      };
    },
    CreateAlias: (b) => {
      const name = String(b.AliasName);
      if (!name.startsWith('alias/'))
        throw new KmsError('ValidationException', 'alias must start with alias/');
      if (aliases.has(name)) throw new KmsError('AlreadyExistsException', `alias ${name} exists`);
      aliases.set(name, resolve(b.TargetKeyId));
      return {};
    },
    ListAliases: (b) => {
      const all = [...aliases.entries()].sort(([a], [c]) => a.localeCompare(c));
      const start = b.Marker ? Number(b.Marker) : 0;
      const limit = Math.min(Number(b.Limit ?? 100), pageSize);
      const page = all.slice(start, start + limit);
      const more = start + limit < all.length;
      return {
        Aliases: page.map(([AliasName, TargetKeyId]) => ({
          AliasName,
          TargetKeyId,
          AliasArn: `arn:${AliasName}`,
        })),
        Truncated: more,
        ...(more ? { NextMarker: String(start + limit) } : {}),
      };
    },
    Encrypt: (b) => {
      const keyId = resolve(b.KeyId);
      return {
        KeyId: keyId,
        CiphertextBlob: encrypt(
          keyId,
          Buffer.from(String(b.Plaintext), 'base64'),
          b.EncryptionContext,
        ).toString('base64'),
      };
    },
    GenerateDataKey: (b) => {
      const keyId = resolve(b.KeyId);
      if (b.KeySpec !== 'AES_256') throw new KmsError('ValidationException', 'KeySpec AES_256 expected');
      const plain = randomBytes(32);
      return {
        KeyId: keyId,
        Plaintext: plain.toString('base64'),
        CiphertextBlob: encrypt(keyId, plain, b.EncryptionContext).toString('base64'),
      };
    },
    Decrypt: (b) => {
      const blob = Buffer.from(String(b.CiphertextBlob), 'base64');
      const idLen = blob[0] ?? 0;
      const keyId = blob.subarray(1, 1 + idLen).toString();
      if (!keys.has(keyId)) throw new KmsError('InvalidCiphertextException', 'unknown key in blob');
      if (b.KeyId !== undefined && resolve(b.KeyId) !== keyId)
        throw new KmsError('IncorrectKeyException', 'the blob was not encrypted under the named key');
      const rest = blob.subarray(1 + idLen);
      const d = createDecipheriv('aes-256-gcm', keys.get(keyId) as Buffer, rest.subarray(0, 12));
      d.setAAD(contextAad(b.EncryptionContext));
      d.setAuthTag(rest.subarray(rest.length - 16));
      try {
        const plain = Buffer.concat([d.update(rest.subarray(12, rest.length - 16)), d.final()]);
        return { KeyId: keyId, Plaintext: plain.toString('base64') };
      } catch {
        throw new KmsError('InvalidCiphertextException', 'ciphertext or encryption context is wrong');
      }
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: Body) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        const op = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
        const handler = ops[op];
        if (req.method !== 'POST' || !handler)
          throw new KmsError('UnknownOperationException', `unknown ${target}`);
        if (!String(req.headers.authorization ?? '').includes(`Credential=${accessKeyId}/`))
          throw new KmsError('UnrecognizedClientException', 'missing or wrong credentials');
        calls[op] = (calls[op] ?? 0) + 1;
        reply(200, handler(JSON.parse(Buffer.concat(chunks).toString() || '{}') as Body));
      } catch (err) {
        const e = err instanceof KmsError ? err : new KmsError('InternalException', (err as Error).message);
        reply(400, { __type: e.type, message: e.message });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId,
    secretAccessKey: 'kms-test-secret',
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
