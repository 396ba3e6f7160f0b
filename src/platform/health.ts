// Readiness: every component that must be connected for this instance to do its job registers a
// check (a database, Redis, an SBC, an SMPP bind). /readyz runs them all with a bound and reports each.
export type HealthCheck = () => Promise<void> | void;

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

export class Health {
  readonly #checks = new Map<string, { check: HealthCheck; critical: boolean }>();
  #draining = false;

  /** critical=false: reported but does not make the instance unready (e.g. one of several binds). */
  register(name: string, check: HealthCheck, critical = true): () => void {
    this.#checks.set(name, { check, critical });
    return () => this.#checks.delete(name);
  }

  /** A draining instance reports not ready so load balancers and SBCs stop sending it work. */
  setDraining(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  async run(timeoutMs = 2000): Promise<{ ready: boolean; checks: CheckResult[] }> {
    const entries = [...this.#checks.entries()];
    const checks = await Promise.all(
      entries.map(async ([name, { check }]): Promise<CheckResult> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(check),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, detail: (err as Error).message };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const ready = !this.#draining && checks.every((c, i) => c.ok || !(entries[i]?.[1].critical ?? true));
    return { ready, checks };
  }
}
