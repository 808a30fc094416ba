// What every scenario gets: the run's settings, the helper processes, and
// places to put table rows and detail lines.
import type { Role } from './proc.js';
import type { Row, Section } from './report.js';

export interface Settings {
  quick: boolean;
  /** Measured repetitions per figure; the table shows their median. */
  reps: number;
  profile: boolean;
  /** Scenario numbers to run (1–10); all when empty. */
  only: Set<number>;
  s1Events: number;
  /**
   * Scenario 1's warm-up, in events (10 deliveries each), the same for
   * Hookline and each queue baseline before their first measured run.
   */
  s1WarmEvents: number;
  /** Concurrent publishers in scenario 1 (Hookline's and the queue baselines'). */
  s1Publishers: number;
  s2DurationMs: number;
  httpDurationS: number;
  httpWarmupS: number;
  /** Connections for scenario 3 and the { __typename } floor. */
  httpConnections: number;
  /** Scenario 4: connections for the throughput figure, and for the p99 figure. */
  s4Connections: number;
  s4LatencyConnections: number;
  /** Scenario 4 also on PostgreSQL (full runs only: seeding 1,000 webhooks takes a while). */
  s4Postgres: boolean;
  s4Webhooks: number;
  s4HistoryEvents: number;
  s5Subscribers: number;
  s5Events: number;
  s5PacedMs: number;
  /** Scenario 7: each measured window of the quiet account's paced publishing (with and without the noisy one). */
  s7DurationMs: number;
  /** Scenarios 8 and 9: attempts in the delivery log and in the health rollups (1,000,000 in full runs). */
  s8Attempts: number;
  /** Scenario 10: webhooks per account (a tenth of them with content filters in the filtered account). */
  s10Webhooks: number;
}

export function settings(args: string[]): Settings {
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const only = new Set(onlyArg ? onlyArg.slice('--only='.length).split(',').map(Number) : []);
  return {
    quick,
    s8Attempts: quick ? 20_000 : 1_000_000,
    reps: quick ? 1 : 3,
    profile: args.includes('--profile'),
    only,
    s1Events: quick ? 100 : 500,
    s1WarmEvents: quick ? 50 : 1_500,
    s1Publishers: 8,
    s2DurationMs: quick ? 1_500 : 6_000,
    httpDurationS: quick ? 1.5 : 6,
    httpWarmupS: quick ? 1 : 4,
    httpConnections: 10,
    s4Connections: 16,
    s4LatencyConnections: 10,
    s4Postgres: !quick,
    s4Webhooks: quick ? 120 : 1000,
    s4HistoryEvents: quick ? 5 : 20,
    s5Subscribers: quick ? 100 : 1000,
    s5Events: quick ? 10 : 6,
    s5PacedMs: quick ? 1_500 : 5_000,
    s7DurationMs: quick ? 1_500 : 5_000,
    s10Webhooks: quick ? 200 : 1000,
  };
}

export interface Bench {
  settings: Settings;
  receiver: Role;
  agent: Role;
  rows: Row[];
  sections: Section[];
  log(msg: string): void;
  wants(scenario: number): boolean;
}
