export { type ObjectStore, ObjectNotFound, checkKey } from './object-store.js';
export { FsObjectStore } from './fs.object-store.js';
