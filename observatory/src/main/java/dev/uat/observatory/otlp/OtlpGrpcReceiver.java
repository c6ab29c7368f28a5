package dev.uat.observatory.otlp;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.ingest.Bodies;
import dev.uat.observatory.ingest.Format;
import dev.uat.observatory.ingest.HeapCharge;
import dev.uat.observatory.ingest.Pipeline;
import dev.uat.observatory.ingest.ReceiverMetrics;
import dev.uat.web.HttpError;
import io.opentelemetry.api.metrics.Meter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OTLP/gRPC receiver: the unary {@code
 * opentelemetry.proto.collector.trace.v1.TraceService/Export} over HTTP/2 cleartext with prior
 * knowledge (what SDKs and the Collector speak to an {@code http://} endpoint), on its own port.
 *
 * <p>A request is one gRPC message: a 5-byte prefix (compressed flag, big-endian length) and an
 * {@code ExportTraceServiceRequest}, compressed when its {@code grpc-encoding} is {@code gzip}. It
 * goes through the same {@link Pipeline} as OTLP/HTTP, with the same limits: the length in the
 * prefix is checked against {@link Bodies#MAX_BODY_BYTES} and reserved in the in-flight budget
 * before the message is read, inflation is capped at {@link Bodies#MAX_DECOMPRESSED_BYTES} and
 * charged as it happens, decoded spans are charged as they are made. Answers per the OTLP
 * specification, always HTTP 200 with {@code grpc-status} in the trailers (or, for errors, in the
 * headers of a trailers-only response):
 *
 * <ul>
 *   <li>0 OK with an {@code ExportTraceServiceResponse}, with {@code partial_success} when spans
 *       were rejected, exactly as OTLP/HTTP;
 *   <li>3 INVALID_ARGUMENT for a message that is not an {@code ExportTraceServiceRequest}, bad
 *       gzip, a truncated message or a second message in the unary call;
 *   <li>8 RESOURCE_EXHAUSTED for a message too large (as sent, inflated, or for the whole budget:
 *       not retryable) and when the in-flight budget is taken by other requests (then with {@code
 *       grpc-status-details-bin} carrying a {@code google.rpc.RetryInfo} of one second, which makes
 *       it retryable for OTLP exporters);
 *   <li>12 UNIMPLEMENTED for any other service or method, and for a {@code grpc-encoding} other
 *       than gzip or identity (with {@code grpc-accept-encoding});
 *   <li>14 UNAVAILABLE while the observatory is closing;
 *   <li>13 INTERNAL for a compressed message without an encoding, and for a bug.
 * </ul>
 *
 * A request whose {@code content-type} is not {@code application/grpc} (or {@code +proto}) gets
 * HTTP 415, as the gRPC protocol asks. Refusals are counted in {@code
 * uat.observatory.ingest.refused} by the same reasons as OTLP/HTTP; spans in {@code
 * uat.observatory.spans.received} and {@code .rejected} with receiver {@code otlp_grpc}.
 *
 * <p>The server speaks only HTTP/2 ({@code h2c}); an HTTP/1.1 client (a browser included) gets its
 * connection closed. At most {@value #MAX_CONNECTIONS} connections, {@value #MAX_STREAMS}
 * concurrent calls each, {@value #HEADER_BYTES} bytes of headers, flow-control windows of {@value
 * #SESSION_WINDOW_BYTES} bytes a connection and {@value #STREAM_WINDOW_BYTES} a call (what the
 * server buffers before a call reads it); connections and calls idle for {@value
 * #IDLE_TIMEOUT_MILLIS} ms are closed. Each call is handled on a virtual thread, blocking. {@link
 * #start} binds and returns once the port accepts connections; {@link #close} stops it.
 * Thread-safe.
 */
public final class OtlpGrpcReceiver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OtlpGrpcReceiver.class);

  /** The only method served. */
  public static final String EXPORT_PATH =
      "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

  /** Connections open at once; more wait in the accept queue. */
  static final int MAX_CONNECTIONS = 32;

  /** Concurrent calls (HTTP/2 streams) per connection. */
  static final int MAX_STREAMS = 32;

  /**
   * HTTP/2 flow-control window of a connection (512 KiB): the most a client can send that the
   * server holds before the calls read it, which is before it is charged to the in-flight budget.
   * So at most {@value #MAX_CONNECTIONS} x 512 KiB = 16 MiB of network buffers.
   */
  static final int SESSION_WINDOW_BYTES = 512 * 1024;

  /** HTTP/2 flow-control window of one call (128 KiB). */
  static final int STREAM_WINDOW_BYTES = 128 * 1024;

  /** Bytes of request headers (HPACK-decoded) per call. */
  static final int HEADER_BYTES = 8 * 1024;

  /** A connection without traffic for this long is closed (30 s). */
  static final long IDLE_TIMEOUT_MILLIS = 30_000;

  static final int OK = 0;
  static final int INVALID_ARGUMENT = 3;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int UNIMPLEMENTED = 12;
  static final int INTERNAL = 13;
  static final int UNAVAILABLE = 14;

  private static final String GRPC = "application/grpc";
  private static final String ACCEPT_ENCODING = "gzip,identity";
  private static final int PREFIX_BYTES = 5;

  private final Pipeline pipeline;
  private final OtlpProtoDecoder decoder = new OtlpProtoDecoder();
  private final ReceiverMetrics metrics;
  private final Server server;
  private final ServerConnector connector;

  private OtlpGrpcReceiver(Pipeline pipeline, Meter meter, String host, int port) {
    this.pipeline = pipeline;
    this.metrics = new ReceiverMetrics(meter, "otlp_grpc");
    QueuedThreadPool threads = new QueuedThreadPool(16, 2);
    threads.setName("observatory-grpc");
    threads.setVirtualThreadsExecutor(
        VirtualThreads.getNamedVirtualThreadsExecutor("observatory-grpc-call"));
    this.server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    http.setRequestHeaderSize(HEADER_BYTES);
    HTTP2CServerConnectionFactory h2c = new HTTP2CServerConnectionFactory(http);
    h2c.setMaxConcurrentStreams(MAX_STREAMS);
    h2c.setInitialSessionRecvWindow(SESSION_WINDOW_BYTES);
    h2c.setInitialStreamRecvWindow(STREAM_WINDOW_BYTES);
    this.connector = new ServerConnector(server, h2c);
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
    server.addConnector(connector);
    server.addBean(new ConnectionLimit(MAX_CONNECTIONS, connector));
    server.setHandler(new Calls());
    server.setStopTimeout(2_000);
  }

  /**
   * Starts a receiver on {@code host}:{@code port} (0 for a free port) feeding {@code pipeline}.
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  public static OtlpGrpcReceiver start(Pipeline pipeline, Meter meter, String host, int port) {
    requireNonNull(pipeline, "pipeline");
    requireNonNull(meter, "meter");
    requireNonNull(host, "host");
    OtlpGrpcReceiver receiver = new OtlpGrpcReceiver(pipeline, meter, host, port);
    try {
      receiver.server.start();
    } catch (Exception e) {
      receiver.close();
      throw new IllegalStateException(
          "cannot start the OTLP/gRPC receiver on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    log.info("observatory-otlp-grpc listening on http://{}:{} (h2c)", host, receiver.port());
    return receiver;
  }

  /** The bound port. */
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("stopping the OTLP/gRPC receiver: {}", e.toString());
    }
  }

  /** A gRPC status to answer with, and the seconds of a {@code RetryInfo} (-1 for none). */
  private static final class GrpcError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final long retryAfterSeconds;

    GrpcError(int status, String message, long retryAfterSeconds) {
      super(message, null, false, false);
      this.status = status;
      this.retryAfterSeconds = retryAfterSeconds;
    }

    GrpcError(int status, String message) {
      this(status, message, -1);
    }

    /** The gRPC status for an error the shared ingest code raised in HTTP terms. */
    static GrpcError of(HttpError e) {
      return switch (e.status()) {
        case 400 -> new GrpcError(INVALID_ARGUMENT, e.getMessage());
        // 413: too large; no RetryInfo, so exporters do not retry what cannot fit
        case 413 -> new GrpcError(RESOURCE_EXHAUSTED, e.getMessage());
        // 429: the budget is busy now; the RetryInfo makes it retryable
        case 429 -> new GrpcError(RESOURCE_EXHAUSTED, e.getMessage(), e.retryAfterSeconds());
        case 503 -> new GrpcError(UNAVAILABLE, e.getMessage());
        default -> new GrpcError(INTERNAL, e.getMessage());
      };
    }
  }

  private final class Calls extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      if (!isGrpc(request.getHeaders().get(HttpHeader.CONTENT_TYPE))) {
        pipeline.refuse(
            Pipeline.Reason.MEDIA_TYPE, new HttpError(415, "unsupported_media_type", "not gRPC"));
        Response.writeError(
            request,
            response,
            callback,
            HttpStatus.UNSUPPORTED_MEDIA_TYPE_415,
            "OTLP/gRPC takes content-type application/grpc");
        return true;
      }
      byte[] answer;
      try {
        if (!"POST".equals(request.getMethod())
            || !EXPORT_PATH.equals(request.getHttpURI().getPath())) {
          throw new GrpcError(
              UNIMPLEMENTED,
              "unknown method "
                  + abbreviate(request.getHttpURI().getPath())
                  + "; this receiver serves "
                  + EXPORT_PATH.substring(1));
        }
        answer = export(request);
      } catch (GrpcError e) {
        fail(response, callback, e);
        return true;
      } catch (IOException e) {
        // the client went away or broke the stream: nobody to answer
        callback.failed(e);
        return true;
      } catch (RuntimeException e) {
        log.warn("OTLP/gRPC export failed", e);
        fail(response, callback, new GrpcError(INTERNAL, "internal error"));
        return true;
      }
      response.setStatus(HttpStatus.OK_200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, GRPC);
      response.getHeaders().put("grpc-accept-encoding", ACCEPT_ENCODING);
      response.setTrailersSupplier(() -> HttpFields.build().put("grpc-status", "0"));
      response.write(true, ByteBuffer.wrap(frame(answer)), callback);
      return true;
    }
  }

  /** Reads, decodes and stores one export; returns the response message. */
  private byte[] export(Request request) throws IOException {
    boolean gzip = isGzip(request.getHeaders().get("grpc-encoding"));
    try (Pipeline.Permit permit = pipeline.admit()) {
      InputStream in = Content.Source.asInputStream(request);
      byte[] prefix = in.readNBytes(PREFIX_BYTES);
      if (prefix.length < PREFIX_BYTES) {
        throw new GrpcError(INVALID_ARGUMENT, "the call carries no complete gRPC message");
      }
      boolean compressed = prefix[0] == 1;
      if ((prefix[0] & 0xFF) > 1) {
        throw new GrpcError(INVALID_ARGUMENT, "invalid gRPC message flag " + prefix[0]);
      }
      if (compressed && !gzip) {
        throw new GrpcError(INTERNAL, "a compressed message without grpc-encoding");
      }
      long length = ByteBuffer.wrap(prefix, 1, 4).getInt() & 0xFFFF_FFFFL;
      if (length > Bodies.MAX_BODY_BYTES) {
        throw permit.refuse(
            Pipeline.Reason.BODY,
            HttpError.tooLarge(
                "the message of "
                    + length
                    + " bytes is larger than "
                    + Bodies.MAX_BODY_BYTES
                    + " bytes"));
      }
      permit.reserve(length);
      byte[] body = in.readNBytes((int) length);
      if (body.length < length) {
        throw new GrpcError(INVALID_ARGUMENT, "the gRPC message is shorter than its length");
      }
      if (in.read() >= 0) {
        throw new GrpcError(INVALID_ARGUMENT, "a unary call carries one message, not more");
      }
      if (compressed) {
        body = Bodies.gunzip(body, permit);
      }
      HeapCharge charge = new HeapCharge(permit);
      DecodedSpans decoded;
      try {
        decoded = decoder.decode(body, charge);
      } catch (OtlpFormatException e) {
        throw new GrpcError(
            INVALID_ARGUMENT,
            "the message is not an OTLP ExportTraceServiceRequest: " + e.getMessage());
      }
      pipeline.deliver(
          decoded.spans, Format.OTLP_PROTOBUF, body, System.currentTimeMillis(), charge.charged());
      metrics.record(decoded.spans.size(), decoded.rejected);
      return decoded.rejected == 0
          ? new byte[0]
          : OtlpHttpReceiver.partialSuccess(decoded.rejected, decoded.rejectionMessage());
    } catch (HttpError e) {
      throw GrpcError.of(e);
    }
  }

  /** Checks {@code grpc-encoding} before anything is read: gzip or identity; else UNIMPLEMENTED. */
  private boolean isGzip(String encoding) {
    String e = encoding == null ? "" : encoding.trim().toLowerCase(Locale.ROOT);
    return switch (e) {
      case "", "identity" -> false;
      case "gzip" -> true;
      default -> {
        pipeline.refuse(
            Pipeline.Reason.ENCODING,
            new HttpError(415, "unsupported_content_encoding", "grpc-encoding " + e));
        throw new GrpcError(
            UNIMPLEMENTED, "grpc-encoding " + e + " is not supported; use gzip or identity");
      }
    };
  }

  /** A trailers-only response: HTTP 200, the status in the headers, no message. */
  private static void fail(Response response, Callback callback, GrpcError e) {
    HttpFields.Mutable headers = response.getHeaders();
    response.setStatus(HttpStatus.OK_200);
    headers.put(HttpHeader.CONTENT_TYPE, GRPC);
    headers.put("grpc-accept-encoding", ACCEPT_ENCODING);
    headers.put("grpc-status", Integer.toString(e.status));
    headers.put("grpc-message", percentEncode(e.getMessage()));
    if (e.retryAfterSeconds > 0) {
      headers.put(
          "grpc-status-details-bin",
          Base64.getEncoder()
              .withoutPadding()
              .encodeToString(retryStatus(e.status, e.getMessage(), e.retryAfterSeconds)));
    }
    response.write(true, null, callback);
  }

  /** A client's path, cut to 200 chars before it is echoed in {@code grpc-message}. */
  private static String abbreviate(String path) {
    return path.length() <= 200 ? path : path.substring(0, 200) + "...";
  }

  static boolean isGrpc(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return type.equals(GRPC) || type.equals(GRPC + "+proto");
  }

  /** The 5-byte prefix (uncompressed) and {@code message}. */
  static byte[] frame(byte[] message) {
    ByteBuffer framed = ByteBuffer.allocate(PREFIX_BYTES + message.length);
    framed.put((byte) 0).putInt(message.length).put(message);
    return framed.array();
  }

  /** {@code grpc-message} as the gRPC protocol writes it: percent-encoded UTF-8. */
  static String percentEncode(String message) {
    StringBuilder out = new StringBuilder();
    for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if (c >= 0x20 && c <= 0x7E && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format(Locale.ROOT, "%02X", c));
      }
    }
    return out.toString();
  }

  /**
   * A {@code google.rpc.Status} with one detail, a {@code google.rpc.RetryInfo} asking to retry
   * after {@code seconds}: what an OTLP exporter reads to retry RESOURCE_EXHAUSTED.
   */
  static byte[] retryStatus(int code, String message, long seconds) {
    ByteArrayOutputStream duration = new ByteArrayOutputStream();
    ProtoOutput.writeVarint(duration, ProtoFields.Duration.SECONDS, seconds);
    ByteArrayOutputStream retryInfo = new ByteArrayOutputStream();
    ProtoOutput.writeBytes(retryInfo, ProtoFields.RetryInfo.RETRY_DELAY, duration.toByteArray());
    ByteArrayOutputStream any = new ByteArrayOutputStream();
    ProtoOutput.writeBytes(
        any,
        ProtoFields.Any.TYPE_URL,
        "type.googleapis.com/google.rpc.RetryInfo".getBytes(StandardCharsets.UTF_8));
    ProtoOutput.writeBytes(any, ProtoFields.Any.VALUE, retryInfo.toByteArray());
    ByteArrayOutputStream status = new ByteArrayOutputStream();
    ProtoOutput.writeVarint(status, ProtoFields.RpcStatus.CODE, code);
    ProtoOutput.writeBytes(
        status, ProtoFields.RpcStatus.MESSAGE, message.getBytes(StandardCharsets.UTF_8));
    ProtoOutput.writeBytes(status, ProtoFields.RpcStatus.DETAILS, any.toByteArray());
    return status.toByteArray();
  }
}
