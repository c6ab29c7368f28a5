package dev.uat.edge;

import dev.uat.web.HttpError;
import jakarta.servlet.http.HttpServletRequest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Reads a request body for forwarding, decoding {@code Content-Encoding: gzip} (or {@code x-gzip})
 * and {@code deflate} as it streams in. The bytes after decoding are counted as they are produced
 * and held to {@code maxBodyBytes}; so are the bytes received. The edge never holds more than
 * {@code maxBodyBytes} for one request, nor more than the {@link BodyBudget} over all of them: the
 * space is reserved before it is allocated, in chunks of at most {@link #CHUNK_BYTES}.
 *
 * <p>Refusals, each counted in {@link EdgeMetrics} and thrown as {@link HttpError}: 413 past the
 * limit, 415 for any other coding, 400 for a body that does not decode or ends early, 503 (with
 * {@code Retry-After}) when the budget is spent. The rest of a refused body is read and discarded
 * (up to {@link #DRAIN_LIMIT} bytes) so that the client, which writes its whole body before it
 * reads, sees the answer rather than a reset connection; 413s are drained by the service's error
 * renderer. Thread-safe: no per-request state is kept here.
 */
final class BodyReader {
  /** Largest single allocation while reading a body of unknown length: 64 KiB. */
  static final int CHUNK_BYTES = 64 * 1024;

  /** The first chunk of a body of unknown length: small bodies stay small. */
  static final int FIRST_CHUNK_BYTES = 8 * 1024;

  /** How much of a refused body is read and thrown away (what web.Service drains on a 413). */
  static final long DRAIN_LIMIT = 64L * 1024 * 1024;

  private enum Coding {
    IDENTITY,
    GZIP,
    DEFLATE
  }

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
  RequestBody read(HttpServletRequest request) {
    Coding coding = coding(request);
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
    Counted counted = new Counted(raw, maxBodyBytes);
    try {
      PushbackInputStream in = new PushbackInputStream(counted, 1);
      int first = in.read();
      if (first < 0) {
        return RequestBody.EMPTY;
      }
      in.unread(first);
      InputStream decoded =
          switch (coding) {
            case IDENTITY -> in;
            case GZIP -> new GZIPInputStream(in, 8 * 1024);
            case DEFLATE -> new InflaterInputStream(in);
          };
      long known = coding == Coding.IDENTITY ? declared : -1;
      return collect(request, decoded, known);
    } catch (Counted.TooLarge e) {
      throw tooLarge();
    } catch (Counted.ClientFailed e) {
      throw incomplete();
    } catch (IOException e) {
      // the decoder refused the bytes (ZipException, EOFException): the client's fault
      drain(request);
      throw metrics.refuse(
          EdgeMetrics.INVALID_BODY_ENCODING,
          HttpError.badRequest(
              "invalid_body_encoding",
              "the request body does not decode as its Content-Encoding says"));
    }
  }

  private RequestBody collect(HttpServletRequest request, InputStream in, long known)
      throws IOException {
    List<byte[]> chunks = new ArrayList<>(2);
    long reserved = 0;
    long total = 0;
    boolean done = false;
    try {
      while (true) {
        long room = maxBodyBytes - total;
        int size;
        int first = -1;
        if (known >= 0 && total < known) {
          size = (int) Math.min(room, known - total); // the declared length, in one array
        } else {
          first = in.read(); // more to come? ask before allocating for it
          if (first < 0) {
            break;
          }
          if (room == 0) {
            throw new Counted.TooLarge();
          }
          size = (int) Math.min(room, chunks.isEmpty() ? FIRST_CHUNK_BYTES : CHUNK_BYTES);
        }
        if (!budget.tryReserve(size)) {
          drain(request);
          throw metrics.refuse(
              EdgeMetrics.IN_FLIGHT_BUDGET,
              new HttpError(
                  503, "edge_busy", "the edge is holding as many request bodies as it may", 1));
        }
        reserved += size;
        byte[] chunk = new byte[size];
        int n;
        if (first >= 0) {
          chunk[0] = (byte) first;
          n = 1 + in.readNBytes(chunk, 1, size - 1);
        } else {
          n = in.readNBytes(chunk, 0, size);
        }
        total += n;
        if (n > 0) {
          chunks.add(chunk); // a last chunk may be part full: RequestBody reads only its length
        }
        if (n < size) {
          break;
        }
      }
      done = true;
      return new RequestBody(List.copyOf(chunks), total, budget, reserved);
    } finally {
      if (!done) {
        budget.release(reserved);
      }
    }
  }

  private Coding coding(HttpServletRequest request) {
    String header = request.getHeader("Content-Encoding");
    if (header == null) {
      return Coding.IDENTITY;
    }
    Coding coding = Coding.IDENTITY;
    for (String part : header.split(",")) {
      String token = part.trim().toLowerCase(Locale.ROOT);
      Coding c =
          switch (token) {
            case "", "identity" -> Coding.IDENTITY;
            case "gzip", "x-gzip" -> Coding.GZIP;
            case "deflate" -> Coding.DEFLATE;
            default -> throw unsupported(request);
          };
      if (c != Coding.IDENTITY) {
        if (coding != Coding.IDENTITY) {
          throw unsupported(request); // one coding at most: layers would multiply the work
        }
        coding = c;
      }
    }
    return coding;
  }

  private HttpError unsupported(HttpServletRequest request) {
    drain(request);
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

  /** Reads and discards what is left of the body, so that the client reads the refusal. */
  static void drain(HttpServletRequest request) {
    try {
      InputStream in = request.getInputStream();
      byte[] sink = new byte[8 * 1024];
      long total = 0;
      for (int n; total < DRAIN_LIMIT && (n = in.read(sink)) >= 0; ) {
        total += n;
      }
    } catch (IOException | IllegalStateException e) {
      // the client went away or the body was taken already: nothing left to drain
    }
  }

  /**
   * The bytes as received: counted and held to the limit ({@link TooLarge} past it), and the
   * client's own failures told apart from the decoder's ({@link ClientFailed}).
   */
  static final class Counted extends FilterInputStream {
    private final long limit;
    private long count;

    Counted(InputStream in, long limit) {
      super(in);
      this.limit = limit;
    }

    long count() {
      return count;
    }

    @Override
    public int read() throws IOException {
      int b;
      try {
        b = super.read();
      } catch (IOException e) {
        throw new ClientFailed(e);
      }
      if (b >= 0 && ++count > limit) {
        throw new TooLarge();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = super.read(b, off, len);
      } catch (IOException e) {
        throw new ClientFailed(e);
      }
      if (n > 0 && (count += n) > limit) {
        throw new TooLarge();
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] sink = new byte[(int) Math.min(n, 8192)];
      int read = read(sink, 0, sink.length);
      return Math.max(read, 0);
    }

    /** Past the limit, before or after decoding. */
    static final class TooLarge extends IOException {
      private static final long serialVersionUID = 1L;

      TooLarge() {
        super("request body over the limit", null);
      }

      @Override
      public synchronized Throwable fillInStackTrace() {
        return this;
      }
    }

    /** Reading from the client failed: it went away, or sent less than it declared. */
    static final class ClientFailed extends IOException {
      private static final long serialVersionUID = 1L;

      ClientFailed(IOException cause) {
        super("reading the request body failed", cause);
      }
    }
  }
}
