// A FreeSWITCH stand-in for tests (not shipped): the parts of FreeSWITCH 1.10 that drachtio-fsmrf 4.1
// uses in a recording B2BUA, faithful to the transcripts in test/fixtures/freeswitch-esl/.
//
//   inbound event socket   auth, `event json HEARTBEAT`, heartbeats, `api sofia status`,
//                          `api global_setvar/global_getvar`, `api uuid_record`, `exit`
//   SIP (UDP)              INVITE with SDP (answer) or without (3pcc offer), ACK, re-INVITE, BYE both ways;
//                          503 when refusing or at Max-Sessions
//   outbound event socket  one per channel to X-esl-outbound: CHANNEL_DATA, event/filter, sendmsg execute
//                          (set, record_session, playback, hangup), api uuid_bridge / uuid_record /
//                          uuid_dump / uuid_set_media_stats, execute events, disconnect-notice
//   RTP                    really received on the advertised ports, relayed between bridged channels,
//                          recorded by record_session into its own recordings directory
//   file service           GET / DELETE /recordings/<name> with a bearer token: how the daemon takes a
//                          finished recording off the media server (docker/freeswitch/ ships the same)
//
// Reproduced trap (README §7.1): unless `rtp_secure_media_inbound=forbidden` is set globally, the 3pcc
// offer carries RTP/SAVP and the channel keeps SRTP after the re-INVITE, so the callee's plain RTP is
// dropped and the right channel of a recording is silent.
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sdpTransform from 'sdp-transform';
import { decodeG711, parseRtp } from './audio.js';
import {
  apiResponse,
  commandReply,
  disconnectNotice,
  eventJson,
  headerList,
  readCommands,
  type EslCommand,
} from './esl-wire.js';
import { SessionRecorder } from './recorder.js';

export interface FreeSwitchOptions {
  host?: string;
  password?: string;
  maxSessions?: number;
  heartbeatMs?: number;
  /** Token the file service requires (Authorization: Bearer). */
  filesToken?: string;
  /** How long a playback (consent prompt) takes. */
  playbackMs?: number;
}

export interface EslFrame {
  /** 'in' for the inbound connection, otherwise the channel uuid of an outbound connection. */
  conn: string;
  dir: 'app->FS' | 'FS->app';
  bytes: string;
}

interface Dialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  remoteUri: string;
  from: string;
  to: string;
  peer: { address: string; port: number };
  cseq: number;
}

export interface StandInChannel {
  readonly uuid: string;
  readonly is3pcc: boolean;
  readonly rtpPort: number;
  readonly packetsIn: number;
  readonly srtp: boolean;
  readonly recorder: SessionRecorder | undefined;
  readonly vars: Map<string, string>;
  readonly hungUp: boolean;
}

class Channel implements StandInChannel {
  readonly uuid = randomUUID();
  readonly vars = new Map<string, string>();
  packetsIn = 0;
  remote: { address: string; port: number } | undefined;
  payloadType = 8;
  srtp = false;
  recorder: SessionRecorder | undefined;
  bridged: Channel | undefined;
  esl: net.Socket | undefined;
  hungUp = false;
  localSdp = '';
  remoteSdp = '';
  lastResponse: string | undefined;
  readonly rtp: dgram.Socket;
  rtpPort = 0;

  constructor(
    readonly is3pcc: boolean,
    readonly dialog: Dialog,
    readonly userAgent: string,
    readonly eslTarget: string,
  ) {
    this.rtp = dgram.createSocket('udp4');
  }
}

export class FreeSwitchStandIn {
  readonly host: string;
  readonly recordingsDir: string;
  readonly frames: EslFrame[] = [];
  readonly globals = new Map<string, string>();
  readonly coreUuid = randomUUID();
  maxSessions: number;
  refuseInvites = false;
  eslPort = 0;
  sipPort = 0;
  filesPort = 0;
  readonly password: string;
  readonly filesToken: string;
  readonly playbackMs: number;
  /** Every INVITE that created a channel, and every one refused. */
  invites = 0;
  refused = 0;
  #channels = new Map<string, Channel>(); // by uuid
  #byCallId = new Map<string, Channel>();
  #sip = dgram.createSocket('udp4');
  #esl: net.Server;
  #files: http.Server;
  #inbound = new Set<net.Socket>();
  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeatMs: number;
  #seq = 1000;
  #eslAccepting = true;

  private constructor(opts: FreeSwitchOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.password = opts.password ?? 'ClueCon';
    this.maxSessions = opts.maxSessions ?? 1000;
    this.#heartbeatMs = opts.heartbeatMs ?? 20_000;
    this.filesToken = opts.filesToken ?? `files-${randomUUID()}`;
    this.playbackMs = opts.playbackMs ?? 300;
    this.recordingsDir = mkdtempSync(path.join(os.tmpdir(), 'fs-recordings-'));
    this.#esl = net.createServer((s) => this.#onInbound(s));
    this.#files = http.createServer((req, res) => this.#onFileRequest(req, res));
  }

  static async start(opts: FreeSwitchOptions = {}): Promise<FreeSwitchStandIn> {
    const fs = new FreeSwitchStandIn(opts);
    await new Promise<void>((resolve) => fs.#esl.listen(0, fs.host, resolve));
    fs.eslPort = (fs.#esl.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => fs.#sip.bind(0, fs.host, resolve));
    fs.sipPort = fs.#sip.address().port;
    fs.#sip.on('message', (msg, rinfo) => fs.#onSip(msg.toString('utf8'), rinfo));
    await new Promise<void>((resolve) => fs.#files.listen(0, fs.host, resolve));
    fs.filesPort = (fs.#files.address() as net.AddressInfo).port;
    fs.#heartbeat = setInterval(() => fs.#sendHeartbeat(), fs.#heartbeatMs);
    return fs;
  }

  get filesUrl(): string {
    return `http://${this.host}:${this.filesPort}/recordings/`;
  }
  get sessionCount(): number {
    return [...this.#channels.values()].filter((c) => !c.hungUp).length;
  }
  channels(): StandInChannel[] {
    return [...this.#channels.values()];
  }
  /** Files currently in the recordings directory. */
  recordings(): string[] {
    return existsSync(this.recordingsDir) ? readdirSync(this.recordingsDir).sort() : [];
  }

  /** Drops every event-socket connection and refuses new ones (ESL down) until eslUp(). */
  eslDown(): void {
    this.#eslAccepting = false;
    for (const s of this.#inbound) s.destroy();
  }
  eslUp(): void {
    this.#eslAccepting = true;
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const ch of this.#channels.values()) {
      ch.recorder?.stop();
      ch.esl?.destroy();
      try {
        ch.rtp.close();
      } catch {
        /* already closed */
      }
    }
    for (const s of this.#inbound) s.destroy();
    await new Promise<void>((resolve) => this.#esl.close(() => resolve()));
    this.#files.closeAllConnections();
    await new Promise<void>((resolve) => this.#files.close(() => resolve()));
    this.#sip.close();
    rmSync(this.recordingsDir, { recursive: true, force: true });
  }

  // ---- event socket, both directions --------------------------------------------------------------

  #write(socket: net.Socket, conn: string, bytes: string): void {
    if (socket.destroyed) return;
    this.frames.push({ conn, dir: 'FS->app', bytes });
    socket.write(bytes);
  }

  #onInbound(socket: net.Socket): void {
    if (!this.#eslAccepting) {
      socket.destroy();
      return;
    }
    this.#inbound.add(socket);
    socket.on('close', () => this.#inbound.delete(socket));
    socket.on('error', () => socket.destroy());
    let authed = false;
    const send = (bytes: string): void => this.#write(socket, 'in', bytes);
    send('Content-Type: auth/request\n\n');
    readCommands(socket, (cmd) => {
      this.frames.push({ conn: 'in', dir: 'app->FS', bytes: cmd.raw });
      if (!authed) {
        if (cmd.line === `auth ${this.password}`) {
          authed = true;
          send(commandReply('+OK accepted'));
        } else {
          send(commandReply('-ERR invalid'));
          send(disconnectNotice());
          socket.end();
        }
        return;
      }
      if (cmd.line.startsWith('event json ')) {
        (socket as net.Socket & { heartbeats?: boolean }).heartbeats = cmd.line.includes('HEARTBEAT');
        send(commandReply('+OK event listener enabled json'));
      } else if (cmd.line.startsWith('api ')) send(apiResponse(this.#api(cmd.line.slice(4).trim())));
      else if (cmd.line === 'exit') {
        send(commandReply('+OK bye'));
        send(disconnectNotice());
        socket.end();
      } else send(commandReply('-ERR command not found'));
    });
  }

  #sendHeartbeat(): void {
    const fields: Record<string, string> = {
      'Event-Name': 'HEARTBEAT',
      'Core-UUID': this.coreUuid,
      'FreeSWITCH-Hostname': 'standin',
      'FreeSWITCH-Switchname': 'standin',
      'FreeSWITCH-IPv4': this.host,
      'FreeSWITCH-IPv6': '::1',
      'Event-Date-Timestamp': String(Date.now() * 1000),
      'Event-Calling-File': 'switch_core.c',
      'Event-Calling-Function': 'send_heartbeat',
      'Event-Sequence': String(this.#seq++),
      'Event-Info': 'System Ready',
      'FreeSWITCH-Version': '1.10.12-release~64bit',
      'Session-Count': String(this.sessionCount),
      'Max-Sessions': String(this.maxSessions),
      'Session-Per-Sec': '30',
      'Idle-CPU': '97.500000',
    };
    for (const s of this.#inbound)
      if ((s as net.Socket & { heartbeats?: boolean }).heartbeats) this.#write(s, 'in', eventJson(fields));
  }

  /** Sends a HEARTBEAT now (tests need not wait for the interval). */
  heartbeatNow(): void {
    this.#sendHeartbeat();
  }

  #api(command: string): string {
    const [name = '', ...args] = command.split(/\s+/);
    switch (name) {
      case 'sofia':
        if (args[0] === 'status')
          return [
            '                     Name\t   Type\t                                      Data\tState',
            '=================================================================================================',
            `             drachtio_mrf\tprofile\t              sip:mod_sofia@${this.host}:${this.sipPort}\tRUNNING (0)`,
            '=================================================================================================',
            '1 profile 0 aliases',
            '',
          ].join('\n');
        return '-ERR usage\n';
      case 'global_setvar': {
        const [k, ...v] = args.join(' ').split('=');
        if (k) this.globals.set(k, v.join('='));
        return '+OK';
      }
      case 'global_getvar':
        return this.globals.get(args[0] ?? '') ?? '';
      case 'uuid_bridge':
        return this.#bridge(args[0], args[1]);
      case 'uuid_record':
        return this.#uuidRecord(args[0], args[1], args[2]);
      case 'uuid_set_media_stats':
        return this.#channels.has(args[0] ?? '') ? '+OK:\n' : '-ERR No such channel!\n';
      case 'uuid_dump': {
        const ch = this.#channels.get(args[0] ?? '');
        return ch ? headerList(this.#channelData(ch)) : '-ERR No such channel!\n';
      }
      default:
        return `-ERR ${name} Command not found!\n`;
    }
  }

  #bridge(a: string | undefined, b: string | undefined): string {
    const A = this.#channels.get(a ?? '');
    const B = this.#channels.get(b ?? '');
    if (!A || !B || A.hungUp || B.hungUp) return '-ERR no such channel\n';
    A.bridged = B;
    B.bridged = A;
    // Both legs leave their socket application for the bridge (events nobody asked for, README §7.3).
    for (const ch of [A, B]) {
      this.#event(ch, 'CHANNEL_EXECUTE_COMPLETE', {
        Application: 'socket',
        'Application-UUID': randomUUID(),
        'Application-Response': '_none_',
      });
      this.#event(ch, 'CHANNEL_EXECUTE', {
        Application: 'uuid_bridge',
        'Application-UUID': randomUUID(),
        'Channel-State': 'CS_SOFT_EXECUTE',
      });
    }
    return `+OK ${B.uuid}\n`;
  }

  #uuidRecord(uuid: string | undefined, action: string | undefined, file: string | undefined): string {
    const ch = this.#channels.get(uuid ?? '');
    if (!ch || ch.hungUp) return '-ERR Cannot locate session!\n';
    const rec = ch.recorder?.active ? ch.recorder : undefined;
    switch (action) {
      case 'start':
        if (!file || !this.#ownPath(file)) return '-ERR Cannot record session!\n';
        this.#startRecording(ch, file);
        return '+OK Success\n';
      case 'stop':
        if (!rec) return '-ERR Cannot stop record session!\n';
        rec.stop();
        return '+OK Success\n';
      case 'mask':
      case 'unmask':
        if (!rec) return '-ERR Cannot mask recording session!\n';
        rec.mask(action === 'mask');
        return '+OK Success\n';
      case 'pause':
        if (!rec) return '-ERR Cannot pause recording session!\n';
        rec.pause();
        return '+OK Success\n';
      case 'resume':
        if (!rec) return '-ERR Cannot resume recording session!\n';
        rec.resume();
        return '+OK Success\n';
      default:
        return '-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n';
    }
  }

  /** The stand-in writes only inside the directory it owns (FreeSWITCH's tmpfs). */
  #ownPath(file: string): boolean {
    const resolved = path.resolve(file);
    return path.dirname(resolved) === this.recordingsDir && /^[A-Za-z0-9._-]+$/.test(path.basename(resolved));
  }

  #startRecording(ch: Channel, file: string): void {
    ch.recorder?.stop();
    const yes = (name: string): boolean => /^(true|1|yes)$/i.test(ch.vars.get(name) ?? '');
    ch.recorder = new SessionRecorder(path.resolve(file), yes('RECORD_STEREO'), yes('RECORD_APPEND'));
  }

  #channelData(ch: Channel): [string, string][] {
    const rtpLocal: [string, string][] = [
      ['variable_rtp_local_sdp_str', ch.localSdp],
      ['variable_local_media_ip', this.host],
      ['variable_local_media_port', String(ch.rtpPort)],
    ];
    const remote: [string, string][] = ch.remote
      ? [
          ['variable_switch_r_sdp', ch.remoteSdp],
          ['variable_remote_media_ip', ch.remote.address],
          ['variable_remote_media_port', String(ch.remote.port)],
        ]
      : [];
    return [
      ['Event-Name', 'CHANNEL_DATA'],
      ['Core-UUID', this.coreUuid],
      ['FreeSWITCH-Hostname', 'standin'],
      ['FreeSWITCH-IPv4', this.host],
      ['Channel-Direction', 'inbound'],
      ['Channel-Destination-Number', 'drachtio'],
      ['Channel-Unique-ID', ch.uuid],
      ['Channel-Context', 'mrf'],
      ['Channel-State', ch.hungUp ? 'CS_HANGUP' : 'CS_EXECUTE'],
      ['Channel-Call-State', ch.hungUp ? 'HANGUP' : 'ACTIVE'],
      ['Unique-ID', ch.uuid],
      ['Call-Direction', 'inbound'],
      ['Answer-State', ch.hungUp ? 'hangup' : 'answered'],
      ['variable_uuid', ch.uuid],
      ['variable_sip_call_id', ch.dialog.callId],
      ['variable_sip_user_agent', ch.userAgent],
      ['variable_sip_h_X-esl-outbound', ch.eslTarget],
      ...remote,
      ...rtpLocal,
      ['variable_dtmf_type', 'rfc2833'],
      ...[...ch.vars].map(([k, v]) => [`variable_${k}`, v] as [string, string]),
    ];
  }

  #event(ch: Channel, name: string, extra: Record<string, string>): void {
    if (!ch.esl) return;
    this.#write(
      ch.esl,
      ch.uuid,
      eventJson({
        'Event-Name': name,
        'Core-UUID': this.coreUuid,
        'FreeSWITCH-Hostname': 'standin',
        'Event-Sequence': String(this.#seq++),
        'Event-Date-Timestamp': String(Date.now() * 1000),
        'Unique-ID': ch.uuid,
        'Channel-Call-UUID': ch.uuid,
        'Channel-State': ch.hungUp ? 'CS_HANGUP' : 'CS_EXECUTE',
        'Answer-State': ch.hungUp ? 'hangup' : 'answered',
        ...(ch.bridged ? { 'Other-Leg-Unique-ID': ch.bridged.uuid } : {}),
        ...extra,
      }),
    );
  }

  #connectOutbound(ch: Channel): void {
    const [host, port] = splitHostPort(ch.eslTarget);
    const socket = net.connect({ host, port });
    ch.esl = socket;
    socket.on('error', () => socket.destroy());
    let connected = false;
    readCommands(socket, (cmd) => {
      this.frames.push({ conn: ch.uuid, dir: 'app->FS', bytes: cmd.raw });
      if (!connected) {
        if (cmd.line !== 'connect') return;
        connected = true;
        const block =
          headerList(this.#channelData(ch)) +
          'Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n';
        this.#write(socket, ch.uuid, block);
        return;
      }
      this.#onOutboundCommand(ch, socket, cmd);
    });
  }

  #onOutboundCommand(ch: Channel, socket: net.Socket, cmd: EslCommand): void {
    const send = (bytes: string): void => this.#write(socket, ch.uuid, bytes);
    if (cmd.line.startsWith('event ')) send(commandReply('+OK event listener enabled json'));
    else if (cmd.line.startsWith('filter ')) {
      const [, name, value] = cmd.line.split(' ');
      send(commandReply(`+OK filter added. [${name}]=[${value}]`));
    } else if (cmd.line.startsWith('api ')) send(apiResponse(this.#api(cmd.line.slice(4).trim())));
    else if (cmd.line.startsWith('sendmsg')) {
      if (cmd.headers.get('call-command') !== 'execute') {
        send(commandReply('-ERR unsupported call-command'));
        return;
      }
      send(commandReply('+OK'));
      this.#execute(
        ch,
        cmd.headers.get('execute-app-name') ?? '',
        cmd.headers.get('execute-app-arg') ?? '',
        cmd.headers.get('Event-UUID') ?? randomUUID(),
      );
    } else if (cmd.line === 'exit') {
      send(commandReply('+OK bye'));
      socket.end();
    } else send(commandReply('-ERR command not found'));
  }

  #execute(ch: Channel, app: string, arg: string, appUuid: string): void {
    const base = { Application: app, 'Application-Data': arg, 'Application-UUID': appUuid };
    this.#event(ch, 'CHANNEL_EXECUTE', base);
    const complete = (response: string, extra: Record<string, string> = {}): void =>
      this.#event(ch, 'CHANNEL_EXECUTE_COMPLETE', { ...base, 'Application-Response': response, ...extra });
    switch (app) {
      case 'set': {
        const eq = arg.indexOf('=');
        if (eq > 0) ch.vars.set(arg.slice(0, eq), arg.slice(eq + 1));
        setTimeout(() => complete('_none_'), 20);
        return;
      }
      case 'record_session':
        if (this.#ownPath(arg)) this.#startRecording(ch, arg);
        setTimeout(() => complete('_none_'), 20);
        return;
      case 'playback':
        setTimeout(() => {
          if (!ch.hungUp)
            complete('FILE PLAYED', {
              variable_playback_ms: String(this.playbackMs),
              variable_playback_seconds: String(Math.round(this.playbackMs / 1000)),
            });
        }, this.playbackMs);
        return;
      case 'hangup':
        this.#hangup(ch, arg || 'NORMAL_CLEARING', true, () =>
          complete('_none_', { 'Answer-State': 'hangup', 'Hangup-Cause': arg || 'NORMAL_CLEARING' }),
        );
        return;
      default:
        setTimeout(() => complete('_none_'), 10);
    }
  }

  /** Ends a channel: recording finished first, BYE (when we hang up), events, notice, close. */
  #hangup(ch: Channel, cause: string, sendBye: boolean, onComplete?: () => void): void {
    if (ch.hungUp) return;
    ch.recorder?.stop();
    ch.hungUp = true;
    if (ch.bridged) {
      ch.bridged.bridged = undefined;
      ch.bridged = undefined;
    }
    if (sendBye) this.#sendBye(ch, cause);
    try {
      ch.rtp.close();
    } catch {
      /* already closed */
    }
    setTimeout(() => {
      onComplete?.();
      this.#event(ch, 'CHANNEL_CALLSTATE', {
        'Channel-Call-State': 'HANGUP',
        'Original-Channel-Call-State': 'ACTIVE',
        'Hangup-Cause': cause,
      });
      if (ch.esl) {
        this.#write(ch.esl, ch.uuid, disconnectNotice(ch.uuid));
        ch.esl.end();
      }
      this.#channels.delete(ch.uuid);
      setTimeout(() => this.#byCallId.delete(ch.dialog.callId), 5_000).unref();
    }, 10);
  }

  // ---- SIP ------------------------------------------------------------------------------------------

  #sendSip(text: string, to: { address: string; port: number }): void {
    this.#sip.send(text, to.port, to.address);
  }

  #onSip(text: string, rinfo: dgram.RemoteInfo): void {
    contactUri = `sip:drachtio@${this.host}:${this.sipPort}`;
    const msg = parseSip(text);
    if (!msg) return;
    const peer = { address: rinfo.address, port: rinfo.port };
    if (msg.status !== undefined) return; // responses to our BYEs
    const callId = header(msg, 'call-id') ?? '';
    const existing = this.#byCallId.get(callId);
    switch (msg.method) {
      case 'INVITE':
        if (!existing) this.#onInvite(msg, peer);
        else if (existing.dialog.remoteTag && tagOf(header(msg, 'to')) === existing.dialog.localTag)
          this.#onReinvite(existing, msg, peer);
        else if (existing.lastResponse) this.#sendSip(existing.lastResponse, peer); // retransmission
        return;
      case 'ACK':
        if (existing && msg.body.trim() && existing.is3pcc) this.#setRemote(existing, msg.body);
        return;
      case 'BYE':
        this.#sendSip(response(msg, 200, 'OK'), peer);
        if (existing) this.#hangup(existing, 'NORMAL_CLEARING', false);
        return;
      case 'OPTIONS':
        this.#sendSip(response(msg, 200, 'OK'), peer);
        return;
      default:
        this.#sendSip(response(msg, 405, 'Method Not Allowed'), peer);
    }
  }

  #onInvite(msg: SipMsg, peer: { address: string; port: number }): void {
    const ua = header(msg, 'user-agent') ?? '';
    const eslTarget = header(msg, 'x-esl-outbound') ?? '';
    if (this.refuseInvites) {
      this.refused++;
      this.#sendSip(response(msg, 503, 'Service Unavailable'), peer);
      return;
    }
    if (this.sessionCount >= this.maxSessions) {
      this.refused++;
      this.#sendSip(response(msg, 503, 'Maximum Calls In Progress'), peer);
      return;
    }
    this.invites++;
    this.#sendSip(response(msg, 100, 'Trying'), peer);
    const contact = header(msg, 'contact') ?? '';
    const dialog: Dialog = {
      callId: header(msg, 'call-id') ?? '',
      localTag: randomUUID().slice(0, 12),
      remoteTag: tagOf(header(msg, 'from')) ?? '',
      remoteUri: /<([^>]+)>/.exec(contact)?.[1] ?? contact.trim(),
      from: header(msg, 'from') ?? '',
      to: header(msg, 'to') ?? '',
      peer,
      cseq: 1,
    };
    const ch = new Channel(!msg.body.trim(), dialog, ua, eslTarget);
    this.#channels.set(ch.uuid, ch);
    this.#byCallId.set(dialog.callId, ch);
    ch.rtp.on('message', (packet, from) => this.#onRtp(ch, packet, from));
    ch.rtp.bind(0, this.host, () => {
      ch.rtpPort = ch.rtp.address().port;
      let body: string;
      if (ch.is3pcc) {
        ch.srtp = this.globals.get('rtp_secure_media_inbound') !== 'forbidden';
        body = offerSdp(this.host, ch.rtpPort, ch.srtp);
        ch.localSdp = body;
      } else {
        this.#setRemote(ch, msg.body);
        body = answerSdp(this.host, ch.rtpPort, ch.payloadType, false);
        ch.localSdp = answerSdp(this.host, ch.rtpPort, ch.payloadType, true);
      }
      const ok = response(msg, 200, 'OK', dialog.localTag, body);
      ch.lastResponse = ok;
      this.#sendSip(ok, peer);
      // The dialplan answers and runs `socket <X-esl-outbound> async full` before the ACK arrives.
      if (eslTarget) this.#connectOutbound(ch);
    });
  }

  #onReinvite(ch: Channel, msg: SipMsg, peer: { address: string; port: number }): void {
    if (msg.body.trim()) this.#setRemote(ch, msg.body);
    ch.localSdp = answerSdp(this.host, ch.rtpPort, ch.payloadType, true, ch.srtp);
    this.#sendSip(
      response(msg, 200, 'OK', ch.dialog.localTag, answerSdp(this.host, ch.rtpPort, ch.payloadType, false)),
      peer,
    );
  }

  #setRemote(ch: Channel, sdp: string): void {
    const parsed = sdpTransform.parse(sdp);
    const audio = parsed.media.find((m) => m.type === 'audio' && m.port > 0 && m.protocol === 'RTP/AVP');
    if (!audio) return;
    const address = audio.connection?.ip ?? parsed.connection?.ip ?? '127.0.0.1';
    const pts = String(audio.payloads ?? '')
      .split(' ')
      .map(Number);
    const codec = pts.find((pt) => pt === 0 || pt === 8);
    if (codec !== undefined) ch.payloadType = codec;
    ch.remote = { address, port: audio.port };
    ch.remoteSdp = sdp;
  }

  #onRtp(ch: Channel, packet: Buffer, _from: dgram.RemoteInfo): void {
    // SRTP negotiated on this leg: plain RTP fails authentication and is dropped (the trap).
    if (ch.srtp || ch.hungUp) return;
    const rtp = parseRtp(packet);
    if (!rtp) return;
    ch.packetsIn++;
    const samples = decodeG711(rtp.payloadType, rtp.payload);
    if (samples) {
      ch.recorder?.pushLeft(samples);
      ch.bridged?.recorder?.pushRight(samples);
    }
    const other = ch.bridged;
    if (other?.remote && !other.hungUp) other.rtp.send(packet, other.remote.port, other.remote.address);
  }

  #sendBye(ch: Channel, cause: string): void {
    const d = ch.dialog;
    const branch = `z9hG4bK${randomUUID().slice(0, 16)}`;
    const text =
      [
        `BYE ${d.remoteUri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${this.host}:${this.sipPort};rport;branch=${branch}`,
        'Max-Forwards: 70',
        `From: ${withTag(d.to, d.localTag)}`,
        `To: ${d.from}`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${++d.cseq} BYE`,
        'User-Agent: Jambonz media gateway',
        `Reason: Q.850;cause=16;text="${cause}"`,
        'Content-Length: 0',
      ].join('\r\n') + '\r\n\r\n';
    this.#sendSip(text, d.peer);
  }

  // ---- file service (the daemon takes recordings off the media server) -----------------------------

  #onFileRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const name = decodeURIComponent((req.url ?? '').replace(/^\/recordings\//, ''));
    if (req.headers.authorization !== `Bearer ${this.filesToken}`) {
      res.writeHead(401).end();
      return;
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !req.url?.startsWith('/recordings/')) {
      res.writeHead(404).end();
      return;
    }
    const file = path.join(this.recordingsDir, name);
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': statSync(file).size });
      createReadStream(file).pipe(res);
    } else if (req.method === 'DELETE') {
      unlinkSync(file);
      res.writeHead(204).end();
    } else res.writeHead(405).end();
  }
}

// ---- SIP helpers --------------------------------------------------------------------------------

interface SipMsg {
  method?: string;
  uri?: string;
  status?: number;
  headers: [string, string][];
  body: string;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
};

function parseSip(text: string): SipMsg | undefined {
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split + 4) : '';
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.push([COMPACT[name] ?? name, line.slice(colon + 1).trim()]);
  }
  const status = /^SIP\/2\.0 (\d{3})/.exec(start);
  if (status) return { status: Number(status[1]), headers, body };
  const req = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (!req) return undefined;
  return { method: req[1] as string, uri: req[2] as string, headers, body };
}

function header(msg: SipMsg, name: string): string | undefined {
  return msg.headers.find(([n]) => n === name)?.[1];
}

function tagOf(value: string | undefined): string | undefined {
  return value ? /;\s*tag=([^;>\s]+)/i.exec(value)?.[1] : undefined;
}

function withTag(value: string, tag: string): string {
  return tagOf(value) ? value : `${value};tag=${tag}`;
}

let contactUri = 'sip:drachtio@127.0.0.1:5080';

function response(req: SipMsg, status: number, reason: string, toTag?: string, sdp?: string): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const [n, v] of req.headers) if (n === 'via') lines.push(`Via: ${v}`);
  lines.push(`From: ${header(req, 'from') ?? ''}`);
  const to = header(req, 'to') ?? '';
  lines.push(`To: ${toTag && status > 100 ? withTag(to, toTag) : to}`);
  lines.push(`Call-ID: ${header(req, 'call-id') ?? ''}`, `CSeq: ${header(req, 'cseq') ?? ''}`);
  if (status >= 200 && status < 300 && req.method === 'INVITE')
    lines.push(`Contact: <${contactUri};transport=udp>`);
  lines.push('User-Agent: Jambonz media gateway');
  if (sdp) lines.push('Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(sdp)}`);
  else lines.push('Content-Length: 0');
  return `${lines.join('\r\n')}\r\n\r\n${sdp ?? ''}`;
}

function splitHostPort(target: string): [string, number] {
  const i = target.lastIndexOf(':');
  return [target.slice(0, i), Number(target.slice(i + 1))];
}

const sess = (): number => Math.floor(Math.random() * 1e9);

function answerSdp(host: string, port: number, pt: number, channelVar: boolean, srtp = false): string {
  const name = pt === 0 ? 'PCMU' : 'PCMA';
  const s = sess();
  return [
    'v=0',
    `o=FreeSWITCH ${s} ${s + 1} IN IP4 ${host}`,
    's=FreeSWITCH',
    `c=IN IP4 ${host}`,
    't=0 0',
    `m=audio ${port} ${srtp ? 'RTP/SAVP' : 'RTP/AVP'} ${pt} 101`,
    `a=rtpmap:${pt} ${name}/8000`,
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    ...(channelVar ? ['a=sendrecv'] : []),
    '',
  ].join('\r\n');
}

function offerSdp(host: string, port: number, srtp: boolean): string {
  const s = sess();
  const media = (proto: string, crypto: boolean): string[] => [
    `m=audio ${port} ${proto} 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    ...(crypto ? ['a=crypto:1 AEAD_AES_256_GCM_8 inline:dGVzdGtleXRlc3RrZXl0ZXN0a2V5dGVzdGtleXRlc3Q='] : []),
    'a=sendrecv',
  ];
  return [
    'v=0',
    `o=FreeSWITCH ${s} ${s + 1} IN IP4 ${host}`,
    's=FreeSWITCH',
    `c=IN IP4 ${host}`,
    't=0 0',
    ...(srtp ? media('RTP/SAVP', true) : []),
    ...media('RTP/AVP', false),
    '',
  ].join('\r\n');
}

export function startFreeSwitch(opts: FreeSwitchOptions = {}): Promise<FreeSwitchStandIn> {
  return FreeSwitchStandIn.start(opts);
}
