export * from "./assert.ts";
export * from "./clock.ts";
export * from "./contracts.ts";
export * from "./record.ts";
export * from "./registry.ts";
export * from "./rng.ts";
export * from "./words.ts";
