package dev.uat.router;

import static java.util.Objects.requireNonNull;

import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.EmbeddingRequest;

/**
 * One request on its way through the interceptor chain: what was asked (a chat, whole or streamed,
 * or embeddings), by whom, over which route, and how the response cache may be used. Immutable: an
 * interceptor that changes it passes a new one to {@link Interceptor.Chain#proceed}.
 *
 * @param kind what is asked
 * @param caller who asks
 * @param route where it may go
 * @param chat the chat request (model set to the requested name); null for embeddings
 * @param embeddings the embeddings request; null for a chat
 * @param cachePolicy how the response cache may be used ({@link CachePolicy#BYPASS} for embeddings)
 * @param startNanos {@link System#nanoTime()} when the request arrived
 */
record RouterRequest(
    Kind kind,
    Caller caller,
    Route route,
    ChatRequest chat,
    EmbeddingRequest embeddings,
    CachePolicy cachePolicy,
    long startNanos) {

  /** What a request asks for. */
  enum Kind {
    /** A whole chat answer. */
    CHAT("chat"),
    /** A chat answer streamed as it is written. */
    STREAM("chat"),
    /** Embedding vectors. */
    EMBEDDINGS("embeddings");

    /** The GenAI operation name and usage record operation. */
    final String operation;

    Kind(String operation) {
      this.operation = operation;
    }
  }

  /** How the response cache may be used for this request. */
  enum CachePolicy {
    /** Look up, and store a fresh answer. */
    USE,
    /** Do not look up ({@code Cache-Control: no-cache}), but store the fresh answer. */
    REFRESH,
    /** Neither look up nor store ({@code Cache-Control: no-store}). */
    BYPASS
  }

  RouterRequest {
    requireNonNull(kind, "kind");
    requireNonNull(caller, "caller");
    requireNonNull(route, "route");
    requireNonNull(cachePolicy, "cachePolicy");
    if ((kind == Kind.EMBEDDINGS) != (embeddings != null)
        || (chat == null) == (embeddings == null)) {
      throw new IllegalArgumentException("a " + kind + " request needs exactly its own body");
    }
  }

  static RouterRequest chat(
      Caller caller,
      Route route,
      ChatRequest chat,
      boolean stream,
      CachePolicy cachePolicy,
      long startNanos) {
    return new RouterRequest(
        stream ? Kind.STREAM : Kind.CHAT, caller, route, chat, null, cachePolicy, startNanos);
  }

  static RouterRequest embeddings(
      Caller caller, Route route, EmbeddingRequest embeddings, long startNanos) {
    return new RouterRequest(
        Kind.EMBEDDINGS, caller, route, null, embeddings, CachePolicy.BYPASS, startNanos);
  }
}
