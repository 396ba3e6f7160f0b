// Everything that arrives on the SIP transports enters here: parse, reject what is malformed
// (logged with its reason, rate-limited), hand requests to the UAS side and responses to the
// client transaction they belong to. A response matching no transaction is dropped (RFC 3261
// section 17.1.3; the edge is not a stateless proxy).
import { parseMessage, type ParseFailure } from '../sip/parser.js';
import { clientKey } from '../transactions/keys.js';
import type { Inbound, Remote } from '../transport/types.js';
import type { Core } from './context.js';
import { lenientHeaders, rejectStatelessly } from './responses.js';
import { onRequest } from './uas.js';

export function onInbound(core: Core, inbound: Inbound): void {
  const result = parseMessage(inbound.text, {
    stream: inbound.stream,
    maxHeaders: core.limits.maxMessageHeaders,
  });
  if (!result.ok) {
    onMalformed(core, inbound.remote, result, inbound.text);
    return;
  }
  const msg = result.message;
  const { remote } = inbound;
  msg.origin = { transport: remote.transport, address: remote.address, port: remote.port };
  core.metrics.received(msg.kind, remote.transport);
  if (msg.kind === 'request') {
    if (core.log.isLevelEnabled('debug'))
      core.log.debug(
        { callId: msg.core.callId, method: msg.method, src: remote.address },
        'request received',
      );
    onRequest(core, msg, inbound, result.topViaSpan);
    return;
  }
  const branch = msg.core.vias[0]?.branch;
  const txn = branch ? core.clients.get(clientKey(branch, msg.core.cseq.method)) : undefined;
  if (!txn) {
    if (core.log.isLevelEnabled('debug'))
      core.log.debug(
        { callId: msg.core.callId, status: msg.status },
        'response matching no transaction dropped',
      );
    return;
  }
  txn.onResponse(msg);
}

function onMalformed(core: Core, remote: Remote, failure: ParseFailure, text: string): void {
  core.metrics.rejected(failure.reason);
  const fields = {
    src: remote.address,
    port: remote.port,
    transport: remote.transport,
    reason: failure.reason,
  };
  if (!failure.isRequest || failure.status === 0) {
    core.rejects.info(fields, `dropped malformed response: ${failure.reason}`);
    return;
  }
  const headers = failure.headers.length > 0 ? failure.headers : lenientHeaders(text);
  const answered = rejectStatelessly(core, remote, headers, failure.status, failure.reason, core.ids.tag());
  core.rejects.info(
    { ...fields, status: answered ? failure.status : undefined },
    answered
      ? `rejected malformed request: ${failure.reason}`
      : `dropped malformed request: ${failure.reason}`,
  );
}

/** A TCP connection whose framing broke (RFC 4475 3.1.2.3): answer 400 if possible; it then closes. */
export function onFramingError(core: Core, remote: Remote, reason: string, head: string): void {
  core.metrics.rejected(reason);
  const answered =
    !head.startsWith('SIP/') &&
    rejectStatelessly(core, remote, lenientHeaders(head), 400, reason, core.ids.tag());
  core.rejects.info(
    {
      src: remote.address,
      port: remote.port,
      transport: remote.transport,
      reason,
      status: answered ? 400 : undefined,
    },
    `closed connection on framing error: ${reason}`,
  );
}
