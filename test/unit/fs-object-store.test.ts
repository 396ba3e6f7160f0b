import t from 'tap';
import { FsObjectStore, ObjectNotFound } from '../../src/objects/index.js';
import { tempDir } from '../support/config.js';

t.test('put, get, list and idempotent delete, per region', async (t) => {
  const store = new FsObjectStore(tempDir(t));
  await store.put('EURO', 'recordings/2026/11/a.rce', Buffer.from('one'));
  await store.put('EURO', 'media/b.rce', Buffer.from('two'));
  await store.put('NOAM', 'recordings/c.rce', Buffer.from('three'));
  t.same((await store.get('EURO', 'recordings/2026/11/a.rce')).toString(), 'one');
  const keys: string[] = [];
  for await (const k of store.list('EURO', 'recordings/')) keys.push(k);
  t.same(keys, ['recordings/2026/11/a.rce']);
  await store.delete('EURO', 'recordings/2026/11/a.rce');
  await store.delete('EURO', 'recordings/2026/11/a.rce');
  t.notOk(await store.exists('EURO', 'recordings/2026/11/a.rce'));
  await t.rejects(store.get('EURO', 'recordings/2026/11/a.rce'), ObjectNotFound);
  t.ok(await store.exists('NOAM', 'recordings/c.rce'), 'other regions untouched');
});

t.test('keys cannot escape their region', async (t) => {
  const store = new FsObjectStore(tempDir(t));
  await t.rejects(store.put('EURO', '../NOAM/x', Buffer.from('x')), /bad object key/);
  await t.rejects(store.get('../etc', 'passwd'), /bad object key/);
});
