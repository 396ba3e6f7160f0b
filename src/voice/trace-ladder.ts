// A SIP trace as an SVG ladder diagram: three lanes (caller, us, callee), one arrow per message,
// time going down. Every text is escaped: traces hold what the far ends sent.
import type { TraceMessage } from '../records/index.js';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function ladderSvg(messages: readonly TraceMessage[], title: string): string {
  const lanes = { caller: 90, core: 360, callee: 630 };
  const rowH = 34;
  const top = 70;
  const height = top + messages.length * rowH + 40;
  const t0 = messages[0] ? Date.parse(messages[0].at) : 0;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${height}" font-family="monospace" font-size="12">`,
    `<title>${esc(title)}</title>`,
    '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker></defs>',
  ];
  for (const [name, x] of [
    ['caller (A leg)', lanes.caller],
    ['routing core', lanes.core],
    ['callee (B leg)', lanes.callee],
  ] as const) {
    out.push(`<text x="${x}" y="30" text-anchor="middle" font-weight="bold">${name}</text>`);
    out.push(`<line x1="${x}" y1="40" x2="${x}" y2="${height - 20}" stroke="#888"/>`);
  }
  messages.forEach((m, i) => {
    const y = top + i * rowH;
    const far = m.leg === 'A' ? lanes.caller : lanes.callee;
    const [x1, x2] = m.direction === 'in' ? [far, lanes.core] : [lanes.core, far];
    const label = m.line.replace(/ SIP\/2\.0$/, '').replace(/^SIP\/2\.0 /, '');
    const short = label.length > 34 ? `${label.slice(0, 33)}…` : label;
    const dt = ((Date.parse(m.at) - t0) / 1000).toFixed(3);
    out.push(
      `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${m.leg === 'A' ? '#1f5fa8' : '#a8461f'}" marker-end="url(#a)"/>`,
    );
    out.push(
      `<text x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle">${esc(short)}${m.sdp ? ' (SDP)' : ''}${m.attempt ? ` #${m.attempt}` : ''}</text>`,
    );
    out.push(`<text x="5" y="${y + 4}" fill="#555">+${dt}s</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
