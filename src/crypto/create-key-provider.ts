// Chooses the key provider from configuration (crypto.keyProvider).
import type { Config } from '../config/index.js';
import type { KeyProvider } from './key-provider.js';
import { FileKeyProvider } from './file.key-provider.js';
import { AwsKmsKeyProvider } from './aws-kms.key-provider.js';

export function createKeyProvider(
  crypto: Config['crypto'],
  keyDir: string,
  embedded: boolean,
): KeyProvider & { close?(): void } {
  switch (crypto.keyProvider) {
    case 'file':
      // Embedded: keys are created on first use. Otherwise a missing key file is an error.
      return new FileKeyProvider(keyDir, embedded);
    case 'aws-kms': {
      const k = crypto.awsKms;
      if (Boolean(k.accessKeyId) !== Boolean(k.secretAccessKey))
        throw new Error('crypto.awsKms: give both accessKeyId and secretAccessKey, or neither');
      return new AwsKmsKeyProvider({
        region: k.region,
        ringRegions: k.ringRegions,
        endpoint: k.endpoint,
        aliasPrefix: k.aliasPrefix,
        versionsTtlMs: k.versionsTtlMs,
        ...(k.accessKeyId && k.secretAccessKey
          ? {
              credentials: {
                accessKeyId: k.accessKeyId.reveal(),
                secretAccessKey: k.secretAccessKey.reveal(),
              },
            }
          : {}),
      });
    }
  }
}
