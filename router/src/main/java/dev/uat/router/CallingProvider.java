package dev.uat.router;

import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.ChatStream;
import dev.uat.router.provider.EmbeddingRequest;
import dev.uat.router.provider.EmbeddingResponse;
import dev.uat.router.provider.Provider;
import dev.uat.router.provider.ProviderException;

/**
 * The end of every attempt: calls the deployment's provider with the request's model set to the
 * deployment's, estimates the token counts a provider did not report (and marks them so), and, for
 * a stream, reads the first piece before returning and holds the attempt's lease until the stream
 * ends. Thread-safe and stateless.
 */
final class CallingProvider implements ProviderCall {
  @Override
  public Answer call(Attempt a) {
    Deployment d = a.deployment();
    Provider provider = d.instance().provider();
    String instance = d.instance().name();
    RouterRequest request = a.request();
    return switch (request.kind()) {
      case CHAT -> {
        ChatRequest routed = request.chat().withModel(d.model());
        yield Answer.of(ChatStream.of(estimateIfMissing(provider.chat(routed), routed)), instance);
      }
      case STREAM -> Answer.of(stream(provider, request.chat().withModel(d.model()), a), instance);
      case EMBEDDINGS ->
          Answer.of(embed(provider, request.embeddings().withModel(d.model())), instance);
    };
  }

  private static ChatStream stream(Provider provider, ChatRequest routed, Attempt a) {
    ChatStream upstream = provider.stream(routed);
    String first;
    try {
      first = upstream.next();
    } catch (RuntimeException e) {
      upstream.close();
      throw e;
    }
    a.lease().keep();
    a.lease().succeeded();
    return new LeasedStream(upstream, first, routed, a.lease());
  }

  private static EmbeddingResponse embed(Provider provider, EmbeddingRequest routed) {
    EmbeddingResponse response = provider.embed(routed);
    if (response.inputTokens() >= 0) {
      return response;
    }
    return new EmbeddingResponse(
        response.model(), response.vectors(), TokenEstimator.inputs(routed.input()), true);
  }

  static ChatResponse estimateIfMissing(ChatResponse response, ChatRequest request) {
    if (response.hasUsage()) {
      return response;
    }
    return response.withEstimatedTokens(
        TokenEstimator.input(request.messages()), TokenEstimator.count(response.content()));
  }

  /** The upstream stream with its first piece already read; releases the lease at its end. */
  private static final class LeasedStream extends ForwardingStream {
    private final ChatRequest request;
    private final Routing.Lease lease;
    private String first;
    private ChatResponse result;

    LeasedStream(ChatStream upstream, String first, ChatRequest request, Routing.Lease lease) {
      super(upstream);
      this.first = first;
      this.request = request;
      this.lease = lease;
    }

    @Override
    public String next() {
      if (first != null) {
        String piece = first;
        first = null;
        return piece;
      }
      return super.next();
    }

    @Override
    void completed(ChatResponse r) {
      result = estimateIfMissing(r, request);
      lease.release();
    }

    @Override
    void failed(RuntimeException e) {
      if (e instanceof ProviderException p) {
        lease.failed(p);
      }
      lease.release();
    }

    @Override
    void abandoned() {
      lease.release();
    }

    @Override
    public ChatResponse result() {
      if (result == null) {
        throw new IllegalStateException("the stream has not ended");
      }
      return result;
    }
  }
}
