package dev.uat.edge;

import dev.uat.web.BoundedBody;
import dev.uat.web.HttpError;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;

/**
 * Reads a request body for forwarding with {@link BoundedBody}, decoding {@code Content-Encoding:
 * gzip} (or {@code x-gzip}) and {@code deflate} as it streams in. The bytes after decoding are
 * counted as they are produced and held to {@code maxBodyBytes}; so are the bytes received. The
 * edge never holds more than {@code maxBodyBytes} for one request, nor more than the {@link
 * BodyBudget} over all of them: the space is reserved before it is allocated, in chunks of at most
 * {@link BoundedBody#CHUNK_BYTES}.
 *
 * <p>Refusals, each counted in {@link EdgeMetrics} and thrown as {@link HttpError}: 413 past the
 * limit, 415 for any other coding, 400 for a body that does not decode or ends early, 503 (with
 * {@code Retry-After}) when the budget is spent. The rest of a refused body is read and discarded
 * ({@link BoundedBody#drain}) so that the client, which writes its whole body before it reads, sees
 * the answer rather than a reset connection; 413s are drained by the service's error renderer.
 * Thread-safe: no per-request state is kept here.
 */
final class BodyReader {
  /** The first chunk of a body of unknown length: small bodies stay small. */
  static final int FIRST_CHUNK_BYTES = 8 * 1024;

  private final long maxBodyBytes;
  private final BodyBudget budget;
  private final EdgeMetrics metrics;

  BodyReader(long maxBodyBytes, BodyBudget budget, EdgeMetrics metrics) {
    this.maxBodyBytes = maxBodyBytes;
    this.budget = budget;
    this.metrics = metrics;
  }

  long maxBodyBytes() {
    return maxBodyBytes;
  }

  /**
   * The request's body, decoded. The caller closes it once the upstream call is over.
   *
   * @throws HttpError 400, 413, 415 or 503, counted
   */
  BoundedBody read(HttpServletRequest request) {
    BoundedBody.Coding coding =
        BoundedBody.Coding.of(request.getHeader("Content-Encoding"))
            .orElseThrow(() -> unsupported(request));
    long declared = request.getContentLengthLong();
    if (declared > maxBodyBytes) {
      throw tooLarge();
    }
    InputStream raw;
    try {
      raw = request.getInputStream();
    } catch (IOException | IllegalStateException e) {
      throw incomplete();
    }
    try {
      PushbackInputStream in = new PushbackInputStream(BoundedBody.capped(raw, maxBodyBytes), 1);
      int first = in.read();
      if (first < 0) {
        return BoundedBody.EMPTY;
      }
      in.unread(first);
      long known = coding == BoundedBody.Coding.IDENTITY ? declared : -1;
      return BoundedBody.read(
          coding.decoder(in), known, maxBodyBytes, FIRST_CHUNK_BYTES, budget(request));
    } catch (BoundedBody.TooLarge e) {
      throw tooLarge();
    } catch (BoundedBody.ClientFailed e) {
      throw incomplete();
    } catch (IOException e) {
      // the decoder refused the bytes (ZipException, EOFException): the client's fault
      BoundedBody.drain(request);
      throw metrics.refuse(
          EdgeMetrics.INVALID_BODY_ENCODING,
          HttpError.badRequest(
              "invalid_body_encoding",
              "the request body does not decode as its Content-Encoding says"));
    }
  }

  /** The edge's budget as {@link BoundedBody} charges it: 503 (drained, counted) when spent. */
  private BoundedBody.Budget budget(HttpServletRequest request) {
    return new BoundedBody.Budget() {
      @Override
      public void reserve(long bytes) {
        if (!budget.tryReserve(bytes)) {
          BoundedBody.drain(request);
          throw metrics.refuse(
              EdgeMetrics.IN_FLIGHT_BUDGET,
              new HttpError(
                  503, "edge_busy", "the edge is holding as many request bodies as it may", 1));
        }
      }

      @Override
      public void release(long bytes) {
        budget.release(bytes);
      }
    };
  }

  private HttpError unsupported(HttpServletRequest request) {
    BoundedBody.drain(request);
    return metrics.refuse(
        EdgeMetrics.UNSUPPORTED_ENCODING,
        new HttpError(
            415,
            "unsupported_content_encoding",
            "request bodies may be sent plain or with one Content-Encoding: gzip or deflate"));
  }

  private HttpError tooLarge() {
    return metrics.refuse(
        EdgeMetrics.BODY_TOO_LARGE,
        HttpError.tooLarge(
            "the request body is larger than "
                + maxBodyBytes
                + " bytes (counted after decompression)"));
  }

  private HttpError incomplete() {
    return metrics.refuse(
        EdgeMetrics.INCOMPLETE_BODY,
        HttpError.badRequest("incomplete_body", "the request body ended before it was complete"));
  }
}
