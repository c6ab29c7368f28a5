package dev.uat.observatory.ingest;

import dev.uat.web.HttpError;
import io.javalin.http.Context;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/** Reading receivers' request bodies within limits: as sent, then decompressed. */
public final class Bodies {
  /** Largest request body accepted, as sent (8 MiB). */
  public static final long MAX_BODY_BYTES = 8L * 1024 * 1024;

  /** Largest request body accepted after gzip decompression (64 MiB). */
  public static final long MAX_DECOMPRESSED_BYTES = 64L * 1024 * 1024;

  private Bodies() {}

  /** The body as sent, refused with 413 above the limit whether or not it declares a length. */
  public static byte[] read(Context ctx) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > MAX_BODY_BYTES) {
      throw tooLarge(MAX_BODY_BYTES);
    }
    InputStream in = ctx.req().getInputStream();
    byte[] body = in.readNBytes((int) (declared >= 0 ? declared : MAX_BODY_BYTES + 1));
    if (body.length > MAX_BODY_BYTES) {
      throw tooLarge(MAX_BODY_BYTES);
    }
    return body;
  }

  /** The body decoded from its {@code Content-Encoding} (none, identity or gzip; else 415). */
  public static byte[] decompress(String contentEncoding, byte[] body) {
    String encoding =
        contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
    return switch (encoding) {
      case "", "identity" -> body;
      case "gzip", "x-gzip" -> gunzip(body);
      default ->
          throw new HttpError(
              415,
              "unsupported_content_encoding",
              "Content-Encoding " + encoding + " is not supported; use gzip or none");
    };
  }

  private static byte[] gunzip(byte[] body) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length * 4));
      byte[] chunk = new byte[16 * 1024];
      for (int n; (n = in.read(chunk)) >= 0; ) {
        if (out.size() + n > MAX_DECOMPRESSED_BYTES) {
          throw tooLarge(MAX_DECOMPRESSED_BYTES);
        }
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw HttpError.badRequest("invalid_gzip", "the body is not valid gzip data");
    }
  }

  private static HttpError tooLarge(long limit) {
    return HttpError.tooLarge("the body is larger than " + limit + " bytes");
  }
}
