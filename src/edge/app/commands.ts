// Commands an app sends (see test/fixtures/drachtio-wire/README.md): the token line before the
// first CR, split on "|" with empty tokens significant, and for `sip` the SIP message after CRLF.

export type AppCommand =
  | {
      readonly type: 'authenticate';
      readonly msgId: string;
      readonly secret: string;
      readonly tags: readonly string[];
    }
  | { readonly type: 'ping'; readonly msgId: string }
  | { readonly type: 'route'; readonly msgId: string; readonly verb: string }
  | { readonly type: 'remove_route'; readonly msgId: string; readonly verb: string }
  | {
      readonly type: 'sip';
      readonly msgId: string;
      readonly txnId: string;
      readonly dialogId: string;
      readonly routeUrl: string;
      readonly sip: string;
    }
  | { readonly type: 'proxy'; readonly msgId: string }
  | { readonly type: 'unknown'; readonly msgId: string; readonly name: string };

export function parseCommand(payload: string): AppCommand | undefined {
  const cr = payload.indexOf('\r');
  const line = cr < 0 ? payload : payload.slice(0, cr);
  const tokens = line.split('|');
  const msgId = tokens[0] ?? '';
  const name = tokens[1];
  if (msgId.length === 0 || name === undefined) return undefined;
  switch (name) {
    case 'authenticate':
      return {
        type: 'authenticate',
        msgId,
        secret: tokens[2] ?? '',
        tags: (tokens[3] ?? '').split(',').filter((t) => t.length > 0),
      };
    case 'ping':
      return { type: 'ping', msgId };
    case 'route':
      return { type: 'route', msgId, verb: tokens[2] ?? '' };
    case 'remove_route':
      return { type: 'remove_route', msgId, verb: tokens[2] ?? '' };
    case 'sip':
      return {
        type: 'sip',
        msgId,
        txnId: tokens[2] ?? '',
        dialogId: tokens[3] ?? '',
        routeUrl: tokens[4] ?? '',
        sip: cr < 0 ? '' : payload.slice(payload.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1),
      };
    case 'proxy':
      return { type: 'proxy', msgId };
    default:
      return { type: 'unknown', msgId, name };
  }
}
