// The slice of newman's API the conformance run uses (newman ships no types; @types/newman is
// not installed to keep dependencies unchanged).
declare module 'newman' {
  interface RunFailure { source?: { name?: string }; error?: { test?: string; message?: string } }
  interface RunSummary {
    run: { stats: { assertions: { total?: number; failed?: number } }; failures: RunFailure[] };
  }
  interface RunOptions {
    collection: string;
    envVar?: Array<{ key: string; value: string }>;
    reporters?: string[];
    timeoutRequest?: number;
  }
  const newman: { run(options: RunOptions, callback: (err: Error | null, summary: RunSummary) => void): unknown };
  export default newman;
}
