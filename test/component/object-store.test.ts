// One behaviour suite for every object store: the filesystem store and the S3 store against s3rver
// over HTTP must be indistinguishable to their callers.
import t, { type Test } from 'tap';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { FsObjectStore, ObjectNotFound, type ObjectStore } from '../../src/objects/index.js';
import { tempDir } from '../support/config.js';
import { startS3, s3Store } from '../support/s3.js';

type Make = (t: Test) => Promise<ObjectStore>;

const stores: Record<string, Make> = {
  fs: async (t) => new FsObjectStore(tempDir(t)),
  s3: async (t) => s3Store(t, await startS3(t)),
};

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

async function keys(store: ObjectStore, region: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(region, prefix)) out.push(k);
  return out;
}

for (const [name, make] of Object.entries(stores)) {
  t.test(`${name}: put, get, size and idempotent delete`, async (t) => {
    const store = await make(t);
    await store.put('EURO', 'recordings/c1/a.rce', Buffer.from('one'));
    t.same((await store.get('EURO', 'recordings/c1/a.rce')).toString(), 'one');
    t.equal(await store.size('EURO', 'recordings/c1/a.rce'), 3);
    t.ok(await store.exists('EURO', 'recordings/c1/a.rce'));
    await store.put('EURO', 'recordings/c1/a.rce', Buffer.from('replaced'));
    t.same((await store.get('EURO', 'recordings/c1/a.rce')).toString(), 'replaced', 'put overwrites');
    await store.delete('EURO', 'recordings/c1/a.rce');
    await store.delete('EURO', 'recordings/c1/a.rce');
    t.notOk(await store.exists('EURO', 'recordings/c1/a.rce'));
    t.equal(await store.size('EURO', 'recordings/c1/a.rce'), undefined);
    await t.rejects(store.get('EURO', 'recordings/c1/a.rce'), ObjectNotFound);
    await t.rejects(store.getStream('EURO', 'recordings/c1/a.rce'), ObjectNotFound);
    await t.rejects(store.getRange('EURO', 'recordings/c1/a.rce', 0, 4), ObjectNotFound);
  });

  t.test(`${name}: list is per region, by prefix, in key order`, async (t) => {
    const store = await make(t);
    for (const k of ['media/m2/0.rce', 'recordings/c1/b.rce', 'recordings/c1/a.rce', 'recordings/c2/z.rce'])
      await store.put('EURO', k, Buffer.from(k));
    await store.put('NOAM', 'recordings/c1/x.rce', Buffer.from('x'));
    t.same(await keys(store, 'EURO', 'recordings/'), [
      'recordings/c1/a.rce',
      'recordings/c1/b.rce',
      'recordings/c2/z.rce',
    ]);
    t.same(await keys(store, 'EURO', 'recordings/c2/'), ['recordings/c2/z.rce']);
    t.same(await keys(store, 'EURO', ''), [
      'media/m2/0.rce',
      'recordings/c1/a.rce',
      'recordings/c1/b.rce',
      'recordings/c2/z.rce',
    ]);
    t.same(await keys(store, 'NOAM', ''), ['recordings/c1/x.rce'], 'other regions are separate');
    t.same(await keys(store, 'APAC', ''), [], 'an empty region lists nothing');
  });

  t.test(`${name}: streams in and out, larger than one upload part`, async (t) => {
    const store = await make(t);
    const data = randomBytes(11 * 1024 * 1024 + 123);
    const parts = [];
    for (let o = 0; o < data.length; o += 1024 * 1024) parts.push(data.subarray(o, o + 1024 * 1024));
    const written = await store.putStream('EURO', 'recordings/big.rce', Readable.from(parts));
    t.equal(written, data.length);
    t.equal(await store.size('EURO', 'recordings/big.rce'), data.length);
    t.ok(
      (await collect(await store.getStream('EURO', 'recordings/big.rce'))).equals(data),
      'same bytes back',
    );
    t.same(await store.getRange('EURO', 'recordings/big.rce', 5, 10), data.subarray(5, 15));
    t.same(
      await store.getRange('EURO', 'recordings/big.rce', data.length - 3, 10),
      data.subarray(data.length - 3),
    );
    t.equal((await store.getRange('EURO', 'recordings/big.rce', data.length + 5, 10)).length, 0);
    const small = await store.putStream('EURO', 'media/small.rce', Readable.from([Buffer.from('tiny')]));
    t.equal(small, 4);
    t.same((await store.get('EURO', 'media/small.rce')).toString(), 'tiny');
  });

  t.test(`${name}: a failing stream leaves no object behind`, async (t) => {
    const store = await make(t);
    const failing = new Readable({
      read() {
        this.push(randomBytes(6 * 1024 * 1024));
        this.destroy(new Error('source broke'));
      },
    });
    await t.rejects(store.putStream('EURO', 'recordings/broken.rce', failing), /source broke/);
    t.notOk(await store.exists('EURO', 'recordings/broken.rce'));
    t.same(await keys(store, 'EURO', ''), [], 'no temporary object listed either');
  });

  t.test(`${name}: keys cannot escape their region`, async (t) => {
    const store = await make(t);
    await t.rejects(store.put('EURO', '../NOAM/x', Buffer.from('x')), /bad object key/);
    await t.rejects(store.get('../etc', 'passwd'), /bad object key/);
    await t.rejects(store.delete('EURO', 'a//b'), /bad object key/);
  });
}
