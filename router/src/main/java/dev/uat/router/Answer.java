package dev.uat.router;

import dev.uat.router.provider.ChatStream;
import dev.uat.router.provider.EmbeddingResponse;

/**
 * What one step of the interceptor chain hands back to the one before it: the answer (a chat
 * stream, or embeddings), or the failure that ended the request upstream; who answered; the cache's
 * verdict; and the time spent waiting for upstreams. Immutable: an interceptor that changes it (to
 * wrap the stream, or to add its verdict) returns a new one.
 *
 * @param stream the chat answer; null for embeddings or a failure
 * @param embeddings the embeddings; null for a chat or a failure
 * @param failure why no upstream answered (a {@code ProviderException} or a 503 {@code HttpError}
 *     such as {@code circuit_open}); null when answered
 * @param answeredBy the provider instance that answered (or was tried last), or {@code cache}; null
 *     when none was tried
 * @param cacheStatus {@code hit}, {@code miss} or {@code bypass}; null when no cache is configured
 * @param upstreamNanos time spent in upstream attempts (a stream's until its first piece)
 */
record Answer(
    ChatStream stream,
    EmbeddingResponse embeddings,
    RuntimeException failure,
    String answeredBy,
    String cacheStatus,
    long upstreamNanos) {

  static Answer of(ChatStream stream, String answeredBy) {
    return new Answer(stream, null, null, answeredBy, null, 0);
  }

  static Answer of(EmbeddingResponse embeddings, String answeredBy) {
    return new Answer(null, embeddings, null, answeredBy, null, 0);
  }

  static Answer failed(RuntimeException failure, String triedLast, long upstreamNanos) {
    return new Answer(null, null, failure, triedLast, null, upstreamNanos);
  }

  boolean failed() {
    return failure != null;
  }

  boolean cacheHit() {
    return "hit".equals(cacheStatus);
  }

  Answer withStream(ChatStream stream) {
    return new Answer(stream, embeddings, failure, answeredBy, cacheStatus, upstreamNanos);
  }

  Answer withCacheStatus(String cacheStatus) {
    return new Answer(stream, embeddings, failure, answeredBy, cacheStatus, upstreamNanos);
  }

  Answer withUpstreamNanos(long upstreamNanos) {
    return new Answer(stream, embeddings, failure, answeredBy, cacheStatus, upstreamNanos);
  }

  /** Router time of {@code request} so far: since it arrived, minus the time upstream. */
  long overheadNanos(RouterRequest request) {
    return Math.max(0, System.nanoTime() - request.startNanos() - upstreamNanos);
  }
}
