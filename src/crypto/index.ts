export type { KeyProvider, WrappedKey } from './key-provider.js';
export { FileKeyProvider } from './file.key-provider.js';
export { Envelope, DecryptionError } from './envelope.js';
export { UrlSigner, type LinkPayload } from './url-signer.js';
