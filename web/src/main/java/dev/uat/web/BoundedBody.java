package dev.uat.web;

import jakarta.servlet.http.HttpServletRequest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * A request body held within limits: read (and decoded from gzip or deflate) as it streams in, its
 * bytes counted as they are produced and held to a cap, every chunk reserved in the caller's {@link
 * Budget} before it is allocated. So a decompression bomb costs at most the cap, and never more
 * than the budget allows. The edge ({@code BodyReader}) and the observatory's receivers ({@code
 * Bodies}) read their bodies with it, each with its own limits, status codes and counters: this
 * class throws {@link TooLarge} and {@link ClientFailed}, and the decoders' {@link IOException}s,
 * and lets the caller say what they mean.
 *
 * <p>{@link #close()} gives the reservation back. Not thread-safe: one request's thread owns a
 * body.
 */
public final class BoundedBody implements AutoCloseable {
  /** Largest single allocation while reading a body of unknown length: 64 KiB. */
  public static final int CHUNK_BYTES = 64 * 1024;

  /** How much of a refused body is read and thrown away so that the client sees the answer. */
  public static final long DRAIN_LIMIT = 64L * 1024 * 1024;

  /** No bytes, nothing reserved. */
  public static final BoundedBody EMPTY = new BoundedBody(List.of(), 0, null, 0);

  /**
   * Where a body's bytes are charged before they are held: the caller's in-flight budget. {@link
   * #reserve} throws the caller's own refusal when the bytes do not fit.
   */
  public interface Budget {
    /** Reserves {@code bytes}, or throws (an {@link HttpError}, say) when they do not fit. */
    void reserve(long bytes);

    void release(long bytes);
  }

  /** A {@code Content-Encoding} this class decodes. */
  public enum Coding {
    IDENTITY,
    GZIP,
    DEFLATE;

    /**
     * The coding a {@code Content-Encoding} header names: none (null), {@code identity}, {@code
     * gzip} (or {@code x-gzip}) and {@code deflate}, in a comma-separated list with at most one
     * that is not {@code identity} (layers would multiply the work); empty for anything else.
     */
    public static Optional<Coding> of(String contentEncoding) {
      if (contentEncoding == null) {
        return Optional.of(IDENTITY);
      }
      Coding coding = IDENTITY;
      for (String part : contentEncoding.split(",", -1)) {
        Coding c =
            switch (part.trim().toLowerCase(Locale.ROOT)) {
              case "", "identity" -> IDENTITY;
              case "gzip", "x-gzip" -> GZIP;
              case "deflate" -> DEFLATE;
              default -> null;
            };
        if (c == null || (c != IDENTITY && coding != IDENTITY)) {
          return Optional.empty();
        }
        if (c != IDENTITY) {
          coding = c;
        }
      }
      return Optional.of(coding);
    }

    /** {@code in} decoded; the decoder's {@link IOException}s say the bytes do not decode. */
    public InputStream decoder(InputStream in) throws IOException {
      return switch (this) {
        case IDENTITY -> in;
        case GZIP -> new GZIPInputStream(in, 8 * 1024);
        case DEFLATE -> new InflaterInputStream(in);
      };
    }
  }

  private final List<byte[]> chunks;
  private final long length;
  private final Budget budget;
  private long reserved;

  private BoundedBody(List<byte[]> chunks, long length, Budget budget, long reserved) {
    this.chunks = chunks;
    this.length = length;
    this.budget = budget;
    this.reserved = reserved;
  }

  /**
   * Reads {@code in} to its end. A known length is read into one array; otherwise the first array
   * is {@code firstChunk} bytes and the next ones {@link #CHUNK_BYTES}, each allocated only once
   * the stream shows it has more, and reserved in {@code budget} before. On any failure what was
   * reserved is released.
   *
   * @param in the bytes (decoded already, or plain)
   * @param known how many bytes {@code in} holds when known, else -1
   * @param max most bytes accepted
   * @throws TooLarge past {@code max}
   * @throws IOException what {@code in} throws
   */
  public static BoundedBody read(
      InputStream in, long known, long max, int firstChunk, Budget budget) throws IOException {
    List<byte[]> chunks = new ArrayList<>(2);
    long reserved = 0;
    long total = 0;
    boolean done = false;
    try {
      while (true) {
        long room = max - total;
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
            throw new TooLarge();
          }
          size = (int) Math.min(room, chunks.isEmpty() ? firstChunk : CHUNK_BYTES);
        }
        budget.reserve(size);
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
          chunks.add(chunk); // a last chunk may be part full: only length bytes are read
        }
        if (n < size) {
          break;
        }
      }
      done = true;
      return new BoundedBody(List.copyOf(chunks), total, budget, reserved);
    } finally {
      if (!done) {
        budget.release(reserved);
      }
    }
  }

  /**
   * {@code raw} (the bytes as received) counted and held to {@code max}: {@link TooLarge} past it;
   * and its own failures (the client went away, or sent less than it declared) thrown as {@link
   * ClientFailed}, told apart from a decoder's.
   */
  public static InputStream capped(InputStream raw, long max) {
    return new Capped(raw, max);
  }

  /**
   * Reads and discards what is left of {@code request}'s body (up to {@link #DRAIN_LIMIT}). An
   * HTTP/1.1 client writes its whole body before it reads the answer; closing the connection with
   * unread bytes makes the kernel reset it, and the client would see a broken connection instead of
   * the refusal.
   */
  public static void drain(HttpServletRequest request) {
    try {
      InputStream in = request.getInputStream();
      byte[] sink = new byte[64 * 1024];
      long total = 0;
      for (int n; total < DRAIN_LIMIT && (n = in.read(sink)) >= 0; ) {
        total += n;
      }
    } catch (IOException | IllegalStateException e) {
      // the client went away or the body was taken already: nothing left to drain
    }
  }

  /** How many bytes. */
  public long length() {
    return length;
  }

  /**
   * The bytes in one array of exactly {@link #length()}, reserved in the budget; this body gives
   * its own reservation back and holds nothing after, so the array's reservation is the caller's to
   * release (with the rest of its budget). No copy when the bytes are in one array already.
   */
  public byte[] toArray() {
    byte[] bytes;
    if (length == 0) {
      bytes = new byte[0];
    } else if (chunks.size() == 1 && chunks.getFirst().length == length) {
      bytes = chunks.getFirst();
      reserved -= length;
    } else {
      budget.reserve(length);
      bytes = new byte[(int) length];
      int offset = 0;
      for (byte[] chunk : chunks) {
        int n = (int) Math.min(chunk.length, length - offset);
        System.arraycopy(chunk, 0, bytes, offset, n);
        offset += n;
      }
    }
    close();
    return bytes;
  }

  /** What an outgoing request sends: the bytes, with a {@code Content-Length}. */
  public HttpRequest.BodyPublisher publisher() {
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
  public InputStream stream() {
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

  /** Gives the reservation back; once. */
  @Override
  public void close() {
    if (budget != null && reserved > 0) {
      budget.release(reserved);
    }
    reserved = 0;
  }

  /** Past the cap, before or after decoding. */
  public static final class TooLarge extends IOException {
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
  public static final class ClientFailed extends IOException {
    private static final long serialVersionUID = 1L;

    ClientFailed(IOException cause) {
      super("reading the request body failed", cause);
    }
  }

  private static final class Capped extends FilterInputStream {
    private final long limit;
    private long count;

    Capped(InputStream in, long limit) {
      super(in);
      this.limit = limit;
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
  }
}
