export { type ObjectStore, ObjectNotFound, checkKey } from './object-store.js';
export { FsObjectStore } from './fs.object-store.js';
export { S3ObjectStore, type S3Location } from './s3.object-store.js';
export { createObjectStore, s3Location } from './create-object-store.js';
