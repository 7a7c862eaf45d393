import type { Message } from '@tidings/sdk';

/**
 * The chatroom promise, checked over every device's surfaced stream: seqs
 * strictly increase with no gap that is not covered by a marker and no
 * overlap (so nothing twice), and wherever two devices hold a real message
 * at the same seq it is the same message (no divergence).
 */
export function checkRoom(streams: ReadonlyMap<string, readonly Message[]>, endSeq: number): string[] {
  const problems: string[] = [];
  const bySeq = new Map<number, string>();
  for (const [device, list] of streams) {
    let next = list[0]?.seq ?? 1;
    const ids = new Set<string>();
    for (const m of list) {
      if (m.seq !== next) problems.push(`${device}: seq ${m.seq} after ${next - 1} (${m.seq < next ? 'overlap' : 'silent gap'})`);
      if (ids.has(m.msgId)) problems.push(`${device}: ${m.msgId} twice`);
      ids.add(m.msgId);
      next = (m.coversTo ?? m.seq) + 1;
      if (m.coversTo) continue;
      const other = bySeq.get(m.seq);
      if (other !== undefined && other !== m.msgId) problems.push(`${device}: seq ${m.seq} is ${m.msgId}, elsewhere ${other}`);
      bySeq.set(m.seq, m.msgId);
    }
    if (next - 1 !== endSeq) problems.push(`${device}: ends at ${next - 1}, room at ${endSeq}`);
  }
  return problems;
}
