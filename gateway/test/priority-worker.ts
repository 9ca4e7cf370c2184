// A worker for start-worker.test.ts: answers with its own thread's nice value (getpriority of "process" 0,
// which Linux reads per thread).
import os from "node:os";
import { parentPort } from "node:worker_threads";

parentPort?.postMessage({ nice: os.getPriority(0) });
