package dev.uat.edge;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.util.List;

/**
 * A request body as the edge holds it before passing it on: decoded (no {@code Content-Encoding}
 * left), in one or more byte arrays whose sizes were reserved in the {@link BodyBudget}. {@link
 * #close()} gives the reservation back. Not thread-safe: one request's thread owns it.
 */
final class RequestBody implements AutoCloseable {
  static final RequestBody EMPTY = new RequestBody(List.of(), 0, null, 0);

  private final List<byte[]> chunks;
  private final long length;
  private final BodyBudget budget;
  private long reserved;

  /**
   * @param chunks the bytes, in order; all full except the last, which holds the rest
   * @param length how many bytes in all
   * @param budget where {@code reserved} came from (null when nothing was)
   * @param reserved bytes to give back on close
   */
  RequestBody(List<byte[]> chunks, long length, BodyBudget budget, long reserved) {
    this.chunks = chunks;
    this.length = length;
    this.budget = budget;
    this.reserved = reserved;
  }

  long length() {
    return length;
  }

  /** What the upstream request sends: the bytes, with a {@code Content-Length}. */
  HttpRequest.BodyPublisher publisher() {
    if (length == 0) {
      return HttpRequest.BodyPublishers.noBody();
    }
    if (chunks.size() == 1 && chunks.getFirst().length == length) {
      return HttpRequest.BodyPublishers.ofByteArray(chunks.getFirst());
    }
    return HttpRequest.BodyPublishers.fromPublisher(
        HttpRequest.BodyPublishers.ofInputStream(this::stream), length);
  }

  /** The bytes as a stream over the chunks (no copy). */
  InputStream stream() {
    return new InputStream() {
      private int chunk;
      private int offset;
      private long left = length;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left == 0) {
          return -1;
        }
        if (len == 0) {
          return 0;
        }
        byte[] current = chunks.get(chunk);
        int n = (int) Math.min(Math.min(len, current.length - offset), left);
        System.arraycopy(current, offset, b, off, n);
        offset += n;
        left -= n;
        if (offset == current.length) {
          chunk++;
          offset = 0;
        }
        return n;
      }
    };
  }

  @Override
  public void close() {
    if (budget != null && reserved > 0) {
      budget.release(reserved);
      reserved = 0;
    }
  }
}
