import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import the packages' sources, so a test run never depends on a stale build.
export default defineConfig({
  resolve: {
    alias: {
      "@bayestune/core": fileURLToPath(new URL("./packages/core/src/index.ts", import.meta.url)),
      "@bayestune/protocol": fileURLToPath(new URL("./packages/protocol/src/index.ts", import.meta.url)),
      "@bayestune/store": fileURLToPath(new URL("./packages/store/src/index.ts", import.meta.url)),
      "@bayestune/engine": fileURLToPath(new URL("./packages/engine/src/index.ts", import.meta.url)),
      "@bayestune/worker": fileURLToPath(new URL("./apps/worker/src/index.ts", import.meta.url)),
      "@bayestune/coordinator": fileURLToPath(new URL("./apps/coordinator/src/index.ts", import.meta.url)),
      "@bayestune/dashboard": fileURLToPath(new URL("./apps/dashboard/src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
