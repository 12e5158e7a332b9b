// What the paper reports that our runs can be set beside, as data the report reads.
// DomainBed (Springer, Nagarajan, Raghunathan, ICLR 2024, appendix): train on the source domains
// with SGD or SAM (ρ ∈ {0, 0.03, 0.05, 0.1}), freeze the network, fit a linear probe on the held-out
// target domain; SAM's probe accuracy beats SGD's on all 12 target domains. The paper gives the
// numbers for three of them.
import type { FinalResult } from '../runner/types.ts';
import { escapeXml } from '../svg.ts';

export interface TransferReference {
  /** DomainBed dataset and target domain, as `dataset.options` names them. */
  dataset: string;
  testDomain: string;
  /** Linear-probe accuracy on the target domain. */
  sgd: number;
  sam: number;
}

export const PAPER_DOMAINBED_PROBE_ACC: readonly TransferReference[] = [
  { dataset: 'OfficeHome', testDomain: 'Clipart', sgd: 0.716, sam: 0.745 },
  { dataset: 'PACS', testDomain: 'cartoon', sgd: 0.897, sam: 0.921 },
  { dataset: 'VLCS', testDomain: 'SUN09', sgd: 0.748, sam: 0.776 },
];

/** The paper's value for a DomainBed run's (dataset, target domain), if it gives one. */
export function paperTransfer(dataset: string, testDomain: string): TransferReference | undefined {
  return PAPER_DOMAINBED_PROBE_ACC.find((r) => r.dataset === dataset && r.testDomain === testDomain);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => (v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)) : NaN);
const fmt = (v: number[]) => (v.length ? `${mean(v).toFixed(3)}${v.length > 1 ? ` ± ${sd(v).toFixed(3)}` : ''} (${v.length})` : '–');

/**
 * DomainBed measured as the paper does: one label (the class), so one probe per run; its
 * accuracy on the target domain's holdout, SGD vs SAM, per target domain, beside the paper's.
 * SAM's ρ is chosen on source-domain validation accuracy (DomainBed's training-domain validation),
 * never on the target. Empty when there are no DomainBed runs.
 */
export function domainbedTransferSection(runs: FinalResult[]): string {
  const db = runs.filter((r) => r.config.dataset.name === 'domainbed');
  if (!db.length) return '';
  const key = (r: FinalResult) => {
    const o = r.config.dataset.options ?? {};
    return `${String(o.dataset ?? 'PACS')}\u0000${String(o.testDomain)}`;
  };
  const probeAcc = (rs: FinalResult[]) => rs.map((r) => 1 - r.probes.easy.error);
  const valAcc = (r: FinalResult) => r.metrics.at(-1)?.valAcc ?? NaN;
  const rows: string[] = [];
  for (const k of [...new Set(db.map(key))].sort()) {
    const [dataset, testDomain] = k.split('\u0000');
    const rs = db.filter((r) => key(r) === k);
    const sgd = rs.filter((r) => r.config.optimizer.name === 'sgd');
    const byRho = new Map<number, FinalResult[]>();
    for (const r of rs.filter((x) => x.config.optimizer.name === 'sam')) byRho.set(r.config.optimizer.rho, [...(byRho.get(r.config.optimizer.rho) ?? []), r]);
    const best = [...byRho].sort((a, b) => mean(b[1].map(valAcc)) - mean(a[1].map(valAcc)))[0];
    const ref = paperTransfer(dataset, testDomain);
    const worst = (xs: FinalResult[]) => fmt(xs.map((r) => r.worstGroupAcc));
    rows.push(`<tr><td>${escapeXml(dataset)}</td><td>${escapeXml(testDomain)}</td><td>${fmt(probeAcc(sgd))}</td><td>${best ? fmt(probeAcc(best[1])) : '–'}</td><td>${best ? best[0] : '–'}</td><td>${worst(sgd)}</td><td>${best ? worst(best[1]) : '–'}</td><td>${ref ? `${ref.sgd.toFixed(3)} → ${ref.sam.toFixed(3)}` : '–'}</td></tr>`);
  }
  return `<h2>DomainBed: transfer to the held-out target domain</h2>
<p>One label (the class): a linear probe on the frozen features, fit on the target domain and scored on its holdout (mean ± sd over seeds, run count in brackets). SAM's ρ is chosen on source-domain validation accuracy. Worst-class: the trained classifier's lowest per-class accuracy on the target holdout. The paper's values are the three it reports.</p>
<table><thead><tr><th>dataset</th><th>target domain</th><th>probe acc SGD</th><th>probe acc SAM</th><th>SAM ρ</th><th>worst-class acc SGD</th><th>worst-class acc SAM</th><th>paper (SGD → SAM)</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}
