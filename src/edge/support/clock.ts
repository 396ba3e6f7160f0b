// The time token of drachtio's app protocol: UTC time of day with microseconds, HH:MM:SS.uuuuuu.
const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

export function timeOfDay(now: number = Date.now()): string {
  const secs = Math.floor(now / 1000);
  const h = Math.floor(secs / 3600) % 24;
  const m = Math.floor(secs / 60) % 60;
  const s = secs % 60;
  const micros = String((now % 1000) * 1000 + Math.floor(Math.random() * 1000)).padStart(6, '0');
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}.${micros}`;
}
