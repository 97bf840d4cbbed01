/** placeholder replaced in the next commit */
export const run = async (_: { seconds: number; quick: boolean; resultsDir: string; timeoutMs: number }): Promise<void> => {
  throw new Error("--service: not built yet")
}
