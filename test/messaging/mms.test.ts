// Inbound MMS over HTTP (real sockets): aggregator authentication, two images sealed in the region's
// object store, size and type in the MDR, signed short-lived links, mail with the images attached,
// and the content DELETE removing them.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { startTestApp, call } from '../support/app.js';
import { startSmsc } from '../support/smsc.js';
import { setupMessaging, startReceiver } from '../support/messaging.js';
import { startSmtp } from '../support/smtp.js';
import { waitFor } from '../support/wait.js';

// Bounds for a shared, loaded machine; never a performance assertion.
t.setTimeout(300_000);

const png = (n: number) =>
  Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(n)]);

t.test('MMS with two images to a number that keeps content', async (t) => {
  const smtp = await startSmtp(t);
  const hook = await startReceiver(t);
  const smsc = await startSmsc();
  t.teardown(() => smsc.close());
  const app = await startTestApp(t, {
    messaging: { delivery: { pollIntervalMs: 100 }, mail: { port: smtp.port } },
  } as never);
  const s = await setupMessaging(t, app, {
    smscs: [smsc],
    mmsToken: 'aggregator-token',
    messaging: { webhookUrl: hook.url, email: 'owner@customer.example', keepContent: true },
  });
  const url = `${app.apiUrl}/v1/inbound/mms/${s.carriers[0]!.id}`;
  const images = [png(3000), png(5000)];
  const form = () => {
    const f = new FormData();
    f.set('from', '+447911123456');
    f.set('to', s.number);
    f.set('text', 'two pictures');
    images.forEach((img, i) => f.append('media', new Blob([img], { type: 'image/png' }), `pic${i}.png`));
    return f;
  };

  const noAuth = await fetch(url, { method: 'POST', body: form() });
  t.equal(noAuth.status, 401, 'no aggregator token: 401');
  const wrong = await fetch(url, { method: 'POST', body: form(), headers: { authorization: 'Bearer nope' } });
  t.equal(wrong.status, 401, 'wrong token: 401');
  const bad = new FormData();
  bad.set('from', '+447911123456');
  bad.set('to', s.number);
  bad.append('media', new Blob([Buffer.from('MZ')], { type: 'application/x-msdownload' }), 'x.exe');
  const refused = await fetch(url, {
    method: 'POST',
    body: bad,
    headers: { authorization: 'Bearer aggregator-token' },
  });
  t.equal(refused.status, 400, 'media type outside the allow-list: 400');

  const res = await fetch(url, {
    method: 'POST',
    body: form(),
    headers: { authorization: 'Bearer aggregator-token' },
  });
  t.equal(res.status, 200);
  const { id } = (await res.json()) as { id: string };

  const region = app.stores.router.region('NOAM');
  const mdr = (await region.query<{ media: unknown }>('SELECT media FROM mdrs WHERE id = $1', [id])).rows[0]!;
  t.same(mdr.media, [
    { size: images[0]!.length, mimeType: 'image/png' },
    { size: images[1]!.length, mimeType: 'image/png' },
  ]);
  const content = (
    await region.query<{ media: { objectKey: string }[] }>(
      'SELECT media FROM message_content WHERE message_id = $1',
      [id],
    )
  ).rows[0]!;
  t.equal(content.media.length, 2);
  for (const [i, item] of content.media.entries()) {
    const stored = await app.objects.get('NOAM', item.objectKey);
    t.notOk(stored.includes(images[i]!.subarray(8, 64)), 'stored bytes are not the image');
    t.ok(stored.length > images[i]!.length, 'sealed (header and tag)');
  }

  await waitFor(() => hook.accepted.length === 1 && smtp.mails.length === 1, { message: 'webhook and mail' });
  const media = hook.accepted[0]!.json.media as { url: string; mimeType: string; size: number }[];
  t.equal(media.length, 2);
  for (const [i, m] of media.entries()) {
    const got = await fetch(m.url);
    t.equal(got.status, 200, 'signed link opens');
    t.ok(Buffer.from(await got.arrayBuffer()).equals(images[i]!), 'link serves the image, decrypted');
  }
  const mail = smtp.mails[0]!.raw;
  t.match(mail, /Content-Type: image\/png/);
  t.match(mail, /filename=pic0\.png/);
  t.ok(mail.replace(/\r?\n/g, '').includes(images[1]!.toString('base64').slice(0, 60)), 'image attached');

  const got = await call(app, 'GET', `/v1/messages/${id}`, s.key);
  t.equal(got.body.text, 'two pictures');
  t.equal(got.body.mediaLinks.length, 2);

  const del = await call(app, 'DELETE', `/v1/messages/${id}/content`, s.key);
  t.equal(del.status, 204);
  for (const item of content.media)
    t.notOk(await app.objects.exists('NOAM', item.objectKey), 'object deleted');
  t.equal((await fetch(media[0]!.url)).status, 404, 'the link no longer opens');
  const after = await call(app, 'GET', `/v1/messages/${id}`, s.key);
  t.equal(after.body.text, null);
  t.equal(after.body.contentDeleted, true);
  t.same(after.body.media, mdr.media, 'the MDR keeps size and type');
});
