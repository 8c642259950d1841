export * from "./errors.js";
export { Rng } from "./rng.js";
