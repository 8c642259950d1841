/**
 * jstat ships no types and there is no @types package. It is a CommonJS module
 * whose `module.exports` is the jStat object; Node's ESM loader exposes that only
 * as the default export (a named `import { jStat }` is undefined at run time),
 * so the declaration is `export =`, imported as `import jStat from "jstat"`.
 * Declares only the normal distribution; add members as they are used.
 */
declare module "jstat" {
  interface JStatNormal {
    pdf(x: number, mean: number, std: number): number;
    cdf(x: number, mean: number, std: number): number;
    inv(p: number, mean: number, std: number): number;
  }
  const jStat: { readonly normal: JStatNormal };
  export = jStat;
}
