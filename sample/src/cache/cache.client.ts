import { Injectable } from '@nestjs/common';
import { FaultsService } from '../faults/faults.service.js';

/** A cache that takes longer than this costs more than it saves. */
const OPERATION_TIMEOUT_MS = 100;

interface Entry {
  value: unknown;
  expiresAt: number;
}

export type CacheStats = {
  entries: number;
  hits: number;
  misses: number;
};

/** Stands in for a Redis-like client: a map with expiry behind a simulated round trip. */
@Injectable()
export class CacheClient {
  private readonly entries = new Map<string, Entry>();
  private hits = 0;
  private misses = 0;

  constructor(private readonly faults: FaultsService) {}

  /** The value stored under `key`, typed as the caller stored it. */
  async get<T>(
    key: string,
    signal = AbortSignal.timeout(OPERATION_TIMEOUT_MS),
  ): Promise<T | undefined> {
    await this.faults.roundTrip('cache', signal);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return entry.value as T;
  }

  async set(
    key: string,
    value: unknown,
    ttlMs: number,
    signal = AbortSignal.timeout(OPERATION_TIMEOUT_MS),
  ): Promise<void> {
    await this.faults.roundTrip('cache', signal);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  /** A `PING`: proves the connection works without touching any key. */
  async ping(signal: AbortSignal): Promise<void> {
    await this.faults.roundTrip('cache', signal);
  }

  stats(): CacheStats {
    return { entries: this.entries.size, hits: this.hits, misses: this.misses };
  }
}
