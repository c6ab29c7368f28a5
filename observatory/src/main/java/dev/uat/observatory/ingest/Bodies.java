package dev.uat.observatory.ingest;

import dev.uat.observatory.ingest.Pipeline.Permit;
import dev.uat.observatory.ingest.Pipeline.Reason;
import dev.uat.web.BoundedBody;
import dev.uat.web.HttpError;
import io.javalin.http.Context;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reading receivers' request bodies within limits, with the web module's {@link BoundedBody}: as
 * sent, then inflated. Every byte is reserved in the request's {@link Permit} before it is held: a
 * body with a {@code Content-Length} is read into an array of that size reserved first; one
 * without, and a gzip stream, are read in chunks each reserved before it is allocated, then into
 * one array of their length. So a gzip bomb costs at most {@link #MAX_DECOMPRESSED_BYTES} and never
 * more than the in-flight budget allows. Refusals (413, 415) are counted in {@code
 * uat.observatory.ingest.refused}. Stateless; used by the request's thread.
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
    try (BoundedBody body =
        BoundedBody.read(in, declared, MAX_BODY_BYTES, FIRST_CHUNK, budget(permit))) {
      if (declared >= 0 && body.length() < declared) {
        throw HttpError.badRequest("truncated_body", "the body is shorter than its Content-Length");
      }
      return body.toArray();
    } catch (BoundedBody.TooLarge e) {
      throw permit.refuse(Reason.BODY, tooLarge("as sent", MAX_BODY_BYTES));
    }
  }

  /**
   * Checks a {@code Content-Encoding} before the body is read: none, identity and gzip pass; any
   * other gets 415.
   */
  public static boolean isGzip(String contentEncoding, Permit permit) {
    BoundedBody.Coding coding = BoundedBody.Coding.of(contentEncoding).orElse(null);
    if (coding != BoundedBody.Coding.IDENTITY && coding != BoundedBody.Coding.GZIP) {
      throw permit.refuse(
          Reason.ENCODING,
          new HttpError(
              415,
              "unsupported_content_encoding",
              "Content-Encoding " + contentEncoding + " is not supported; use gzip or none"));
    }
    return coding == BoundedBody.Coding.GZIP;
  }

  /**
   * {@code body} inflated, refused with 413 as soon as it passes {@link #MAX_DECOMPRESSED_BYTES};
   * the inflated bytes stay reserved in {@code permit}, and the compressed ones are released once
   * inflated (the caller must drop {@code body}).
   */
  public static byte[] gunzip(byte[] body, Permit permit) {
    int first = (int) Math.min(MAX_DECOMPRESSED_BYTES, Math.max(FIRST_CHUNK, body.length * 4L));
    try (InputStream in = BoundedBody.Coding.GZIP.decoder(new ByteArrayInputStream(body));
        BoundedBody inflated =
            BoundedBody.read(in, -1, MAX_DECOMPRESSED_BYTES, first, budget(permit))) {
      byte[] bytes = inflated.toArray();
      permit.release(body.length);
      return bytes;
    } catch (BoundedBody.TooLarge e) {
      throw permit.refuse(Reason.DECOMPRESSED, tooLarge("inflated", MAX_DECOMPRESSED_BYTES));
    } catch (IOException e) {
      throw HttpError.badRequest("invalid_gzip", "the body is not valid gzip data");
    }
  }

  /**
   * The permit as {@link BoundedBody} charges it: it refuses (413, 429) when the bytes do not fit.
   */
  private static BoundedBody.Budget budget(Permit permit) {
    return new BoundedBody.Budget() {
      @Override
      public void reserve(long bytes) {
        permit.reserve(bytes);
      }

      @Override
      public void release(long bytes) {
        permit.release(bytes);
      }
    };
  }

  private static HttpError tooLarge(String what, long limit) {
    return HttpError.tooLarge("the body " + what + " is larger than " + limit + " bytes");
  }
}
