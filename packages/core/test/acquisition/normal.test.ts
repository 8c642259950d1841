import { describe, expect, it } from "vitest";
import { erfcx } from "../../src/acquisition/erfcx.js";
import { dLogNormalCdf, logNormalCdf, logNormalPdf, millsRatio, normalCdf, normalPdf } from "../../src/acquisition/normal.js";
import jStat from "jstat";

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

// Reference values computed with mpmath 1.4.1 at 100 significant digits, rounded
// to float64: log(ncdf(z)) for z <= 0 and log1p(-ncdf(-z)) for z > 0 (which keeps
// the tiny values for large z), ncdf, npdf, npdf/ncdf, and exp(x*x)*erfc(x).
const LOG_CDF: readonly (readonly [number, number])[] = [
  [-1000, -500007.82669481216],
  [-200, -20006.21728089819],
  [-40, -804.6084420137538],
  [-38, -726.5572160188201],
  [-10, -53.23128515051247],
  [-5, -15.064998393988725],
  [-1, -1.8410216450092636],
  [0, -0.6931471805599453],
  [1, -0.17275377902344988],
  [5, -2.866516129637636e-7],
  [10, -7.619853024160525e-24],
  [30, -4.906713927148187e-198],
];

// [z, Φ(z), φ(z), φ(z)/Φ(z)]; the non-integer tail points have inexact squares,
// so they catch an exp(-z²/2) that rounds z² first.
const CDF_PDF: readonly (readonly [number, number, number, number])[] = [
  [-37.3, 8.205494844930773e-305, 3.062846290695667e-303, 37.326771249973376],
  [-37, 5.725571222524577e-300, 2.1200065515246056e-298, 37.02698768612699],
  [-30.1, 2.4226672179857586e-199, 7.300259384280611e-198, 30.133149654578453],
  [-20, 2.7536241186062337e-89, 5.520948362159764e-88, 20.04975306852785],
  [-12.7, 2.95648536485205e-37, 3.777735721149138e-36, 12.777792733427535],
  [-10, 7.619853024160525e-24, 7.694598626706419e-23, 10.098093233962512],
  [-5, 2.866515718791939e-7, 1.4867195147342977e-6, 5.186503967125842],
  [-1, 0.15865525393145705, 0.24197072451914334, 1.525135276160981],
  [-0.25, 0.4012936743170763, 0.3866681168028492, 0.9635539794164039],
  [0, 0.5, 0.3989422804014327, 0.7978845608028654],
  [0.25, 0.5987063256829237, 0.3866681168028492, 0.6458393710168173],
  [1, 0.8413447460685429, 0.24197072451914334, 0.2875999709391784],
  [5, 0.9999997133484281, 1.4867195147342977e-6, 1.4867199409049056e-6],
  [8, 0.9999999999999993, 5.052271083536892e-15, 5.052271083536895e-15],
];

const ERFCX: readonly (readonly [number, number])[] = [
  [0, 1],
  [0.3, 0.7345993345676551],
  [0.46875, 0.6320696892495561],
  [0.5, 0.6156903441929259],
  [2, 0.25539567631050575],
  [4, 0.13699945762506138],
  [4.5, 0.12248480427384142],
  [10, 0.05614099274382259],
  [1000, 0.0005641893014533876],
  [1e8, 5.641895835477562e-9],
];

// Measured errors are at most 4e-16; 1e-14 leaves room for libm differences
// while still catching any loss of a few digits (e.g. the t² rounding in exp(-t²/2)
// costs 1e-13 at t = 38).
const TOL = 1e-14;

describe("erfcx", () => {
  it.each(ERFCX)("erfcx(%d) matches mpmath in every one of Cody's three intervals", (x, expected) => {
    expect(relErr(erfcx(x), expected)).toBeLessThan(TOL);
  });
});

describe("logNormalCdf", () => {
  it.each(LOG_CDF)("log Φ(%d) matches mpmath to 1e-14 relative", (z, expected) => {
    expect(relErr(logNormalCdf(z), expected)).toBeLessThan(TOL);
  });

  it("is finite and strictly increasing on a sweep of [-1000, 8], never -Infinity", () => {
    let previous = -Infinity;
    for (let z = -1000; z <= 8; z += 0.37) {
      const value = logNormalCdf(z);
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThan(previous);
      previous = value;
    }
  });

  it("is continuous across the branch at z = 0", () => {
    expect(relErr(logNormalCdf(1e-15), logNormalCdf(-1e-15))).toBeLessThan(1e-14);
  });
});

describe("normalCdf and normalPdf", () => {
  it.each(CDF_PDF)("Φ(%d) and φ(%d) match mpmath to 1e-14 relative", (z, cdf, pdf) => {
    expect(relErr(normalCdf(z), cdf)).toBeLessThan(TOL);
    expect(relErr(normalPdf(z), pdf)).toBeLessThan(TOL);
  });

  it("Φ(-z) + Φ(z) = 1 and φ is even", () => {
    for (const z of [0.1, 0.7, 2.5, 6]) {
      expect(Math.abs(normalCdf(-z) + normalCdf(z) - 1)).toBeLessThan(2e-16);
      expect(normalPdf(-z)).toBe(normalPdf(z));
    }
  });

  it("logNormalPdf is the log of normalPdf, and stays finite where φ underflows", () => {
    for (const z of [-30, -3, 0, 1.5, 20]) {
      expect(relErr(logNormalPdf(z), Math.log(normalPdf(z)))).toBeLessThan(TOL);
    }
    expect(normalPdf(1000)).toBe(0);
    // -1000²/2 - log √(2π), with log √(2π) = 0.91893853320467274178 (mpmath).
    expect(relErr(logNormalPdf(1000), -500000.91893853320467)).toBeLessThan(TOL);
  });

  it("millsRatio(t) is Φ(-t)/φ(t)", () => {
    for (const [z, cdf, pdf] of CDF_PDF) {
      if (z > 0) continue;
      expect(relErr(millsRatio(-z), cdf / pdf)).toBeLessThan(TOL);
    }
  });
});

describe("dLogNormalCdf", () => {
  it.each(CDF_PDF)("φ/Φ at %d matches mpmath to 1e-14 relative", (z, _cdf, _pdf, ratio) => {
    expect(relErr(dLogNormalCdf(z), ratio)).toBeLessThan(TOL);
  });

  it("stays finite in the deep tail, where φ and Φ both underflow", () => {
    // mpmath: npdf(-1000)/ncdf(-1000) = 1000.000999998...
    expect(relErr(dLogNormalCdf(-1000), 1000.000999998)).toBeLessThan(TOL);
  });

  it("matches a central difference of logNormalCdf", () => {
    for (const z of [-500, -40, -6, -1, 0, 0.5, 3]) {
      const h = 1e-5;
      const fd = (logNormalCdf(z + h) - logNormalCdf(z - h)) / (2 * h);
      // Rounding in the difference is about eps·|log Φ(z)|/h; truncation is far smaller.
      const tol = 1e-8 * Math.abs(dLogNormalCdf(z)) + (10 * Number.EPSILON * Math.abs(logNormalCdf(z))) / h;
      expect(Math.abs(fd - dLogNormalCdf(z))).toBeLessThan(tol);
    }
  });
});

describe("agreement with jstat in the central range", () => {
  // jstat's cdf is 0.5·(1 + erf(z/√2)): accurate near the centre, where it is an
  // independent check of ours, and useless in the lower tail (it returns exactly 0
  // from about z = −8.3), which is why the core does not use it.
  it("matches jStat.normal.cdf and pdf to 1e-9 relative for |z| <= 5", () => {
    for (let z = -5; z <= 5; z += 0.25) {
      const cdf = jStat.normal.cdf(z, 0, 1);
      expect(Math.abs(normalCdf(z) - cdf) / cdf).toBeLessThan(1e-9);
      expect(Math.abs(normalPdf(z) - jStat.normal.pdf(z, 0, 1)) / normalPdf(z)).toBeLessThan(1e-12);
    }
  });

  it("stays finite and accurate where jstat underflows", () => {
    expect(jStat.normal.cdf(-9, 0, 1)).toBe(0);
    expect(normalCdf(-9)).toBeGreaterThan(1e-19);
  });
});
