export type { KeyProvider, WrappedKey } from './key-provider.js';
export { FileKeyProvider } from './file.key-provider.js';
export { AwsKmsKeyProvider } from './aws-kms.key-provider.js';
export { createKeyProvider } from './create-key-provider.js';
export { Envelope, DecryptionError, DEFAULT_CHUNK_SIZE } from './envelope.js';
export { MAX_HEADER_BYTES } from './sealed-header.js';
export { UrlSigner, type LinkPayload } from './url-signer.js';
