package dev.uat.router;

import java.time.Instant;
import java.util.List;

/**
 * Where usage records are kept: a write role (batches, from the background writer) and a read role,
 * under one lifecycle with {@link #check()} and {@link #close()}. Implementations are thread-safe;
 * their methods block on I/O and are never called on a request's path.
 */
interface UsageStore extends AutoCloseable {
  /** Writes a batch in one transaction. */
  void write(List<UsageRecord> batch) throws Exception;

  /** The newest records of a user, newest first. */
  List<UsageRecord> recent(String userId, int limit) throws Exception;

  /**
   * Token totals of an API key (or, with a null key, of a user's JWT requests) since a time.
   *
   * @return {input tokens, output tokens, requests}
   */
  long[] totals(String keyId, String userId, Instant since) throws Exception;

  /** For readiness: throws when the store cannot be used. */
  void check() throws Exception;

  @Override
  void close();
}
