import { MemoryStore } from "../src/memory-store.js";
import { describeStoreContract } from "./store-contract.js";

describeStoreContract("MemoryStore", async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
