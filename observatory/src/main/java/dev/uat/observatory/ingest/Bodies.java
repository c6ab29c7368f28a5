package dev.uat.observatory.ingest;

import dev.uat.observatory.ingest.Pipeline.Permit;
import dev.uat.observatory.ingest.Pipeline.Reason;
import dev.uat.web.HttpError;
import io.javalin.http.Context;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Reading receivers' request bodies within limits: as sent, then inflated. Every byte is reserved
 * in the request's {@link Permit} before it is held: a body with a {@code Content-Length} is read
 * into an array of that size reserved first; one without, and a gzip stream, grow a buffer whose
 * every new capacity is reserved before it is allocated. So a gzip bomb costs at most {@link
 * #MAX_DECOMPRESSED_BYTES} and never more than the in-flight budget allows. Refusals (413, 415) are
 * counted in {@code uat.observatory.ingest.refused}. Stateless; used by the request's thread.
 */
public final class Bodies {
  /** Largest request body accepted, as sent (4 MiB). */
  public static final long MAX_BODY_BYTES = 4L * 1024 * 1024;

  /**
   * Largest request body accepted after gzip decompression (4 MiB). The spans decoded from a body
   * are charged about 4 (protobuf) to 5 (Zipkin JSON) times its bytes, so at the smallest in-flight
   * budget, 16 MiB, a request of more than about 3 MiB gets 413 from the budget before this cap.
   */
  public static final long MAX_DECOMPRESSED_BYTES = 4L * 1024 * 1024;

  private static final int FIRST_CHUNK = 16 * 1024;

  private Bodies() {}

  /**
   * The body as sent, refused with 413 above {@link #MAX_BODY_BYTES} whether or not it declares a
   * length; its bytes stay reserved in {@code permit}.
   */
  public static byte[] read(Context ctx, Permit permit) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > MAX_BODY_BYTES) {
      throw permit.refuse(Reason.BODY, tooLarge("as sent", MAX_BODY_BYTES));
    }
    InputStream in = ctx.req().getInputStream();
    if (declared >= 0) {
      permit.reserve(declared);
      byte[] body = new byte[(int) declared];
      int n = in.readNBytes(body, 0, body.length);
      if (n < body.length) {
        throw HttpError.badRequest("truncated_body", "the body is shorter than its Content-Length");
      }
      return body;
    }
    return readCapped(in, MAX_BODY_BYTES, permit, Reason.BODY, "as sent", FIRST_CHUNK);
  }

  /**
   * Checks a {@code Content-Encoding} before the body is read: none, identity and gzip pass; any
   * other gets 415.
   */
  public static boolean isGzip(String contentEncoding, Permit permit) {
    String encoding =
        contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
    return switch (encoding) {
      case "", "identity" -> false;
      case "gzip", "x-gzip" -> true;
      default ->
          throw permit.refuse(
              Reason.ENCODING,
              new HttpError(
                  415,
                  "unsupported_content_encoding",
                  "Content-Encoding " + encoding + " is not supported; use gzip or none"));
    };
  }

  /**
   * {@code body} inflated, refused with 413 as soon as it passes {@link #MAX_DECOMPRESSED_BYTES};
   * the inflated bytes stay reserved in {@code permit}, and the compressed ones are released once
   * inflated (the caller must drop {@code body}).
   */
  public static byte[] gunzip(byte[] body, Permit permit) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body), 8192)) {
      int first = (int) Math.min(MAX_DECOMPRESSED_BYTES, Math.max(FIRST_CHUNK, body.length * 4L));
      byte[] inflated =
          readCapped(in, MAX_DECOMPRESSED_BYTES, permit, Reason.DECOMPRESSED, "inflated", first);
      permit.release(body.length);
      return inflated;
    } catch (IOException e) {
      throw HttpError.badRequest("invalid_gzip", "the body is not valid gzip data");
    }
  }

  /**
   * Reads {@code in} to its end into an array of exactly its length, reserving every buffer before
   * allocating it; 413 past {@code max}.
   */
  private static byte[] readCapped(
      InputStream in, long max, Permit permit, Reason reason, String what, int first)
      throws IOException {
    int capacity = (int) Math.min(first, max + 1);
    permit.reserve(capacity);
    byte[] buf = new byte[capacity];
    int size = 0;
    while (true) {
      if (size == buf.length) {
        if (size > max) {
          throw permit.refuse(reason, tooLarge(what, max));
        }
        int next = (int) Math.min(2L * size, max + 1);
        permit.reserve(next); // the old and the new array live together during the copy
        buf = Arrays.copyOf(buf, next);
        permit.release(size);
      }
      int n = in.read(buf, size, buf.length - size);
      if (n < 0) {
        break;
      }
      size += n;
    }
    if (size > max) {
      throw permit.refuse(reason, tooLarge(what, max));
    }
    if (size == buf.length) {
      return buf;
    }
    permit.reserve(size);
    byte[] exact = Arrays.copyOf(buf, size);
    permit.release(buf.length);
    return exact;
  }

  private static HttpError tooLarge(String what, long limit) {
    return HttpError.tooLarge("the body " + what + " is larger than " + limit + " bytes");
  }
}
