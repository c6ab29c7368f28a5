package dev.uat.router;

import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.ChatStream;

/**
 * A stream that passes everything through and calls {@link #completed}, {@link #failed} or {@link
 * #abandoned} exactly once: at its end, on a failure, or when closed before its end. Interceptors
 * extend it to act when an answer is complete.
 */
abstract class ForwardingStream implements ChatStream {
  private final ChatStream delegate;
  private boolean done;

  ForwardingStream(ChatStream delegate) {
    this.delegate = delegate;
  }

  /** The whole answer arrived. */
  void completed(ChatResponse response) {}

  /** The answer broke off. */
  void failed(RuntimeException e) {}

  /** The caller stopped reading before the end. */
  void abandoned() {}

  @Override
  public String next() {
    String piece;
    try {
      piece = delegate.next();
    } catch (RuntimeException e) {
      if (!done) {
        done = true;
        failed(e);
      }
      throw e;
    }
    if (piece == null && !done) {
      done = true;
      completed(delegate.result());
    }
    return piece;
  }

  @Override
  public String id() {
    return delegate.id();
  }

  @Override
  public String model() {
    return delegate.model();
  }

  @Override
  public ChatResponse result() {
    return delegate.result();
  }

  @Override
  public void close() {
    delegate.close();
    if (!done) {
      done = true;
      abandoned();
    }
  }
}
