package dev.uat.observatory.bench;

import com.sun.management.ThreadMXBean;
import dev.uat.observatory.ingest.Format;
import dev.uat.observatory.ingest.InProcessExporter;
import dev.uat.observatory.ingest.Pipeline;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.otlp.OtlpHttpReceiver;
import dev.uat.observatory.store.InMemoryStorage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * CPU time and allocation per span of the two ways a span of the all-in-one reaches the store, on
 * one thread, measured with the thread's CPU clock and allocation counter (so a loaded machine
 * changes little): the OTLP path without its network part (the SDK's protobuf marshalling, the
 * receiver's decoder, the pipeline) against the in-process hand-over ({@link InProcessExporter}).
 * The loopback HTTP request the OTLP path also makes (JDK client, Jetty, body copies) is not
 * counted, so the difference is a lower bound.
 *
 * <p>Run: {@code ./mvnw -o -q test-compile -pl observatory -am} then {@code java -cp
 * observatory/target/test-classes:observatory/target/classes:$(cat cp.txt)
 * dev.uat.observatory.bench.InProcessExportCost} with {@code cp.txt} from {@code ./mvnw -o -q
 * dependency:build-classpath -pl observatory -Dmdep.outputFile=cp.txt}.
 */
public final class InProcessExportCost {
  private static final int BATCH = 512;
  private static final int ROUNDS = 400;

  private InProcessExportCost() {}

  public static void main(String[] args) throws IOException {
    List<SpanData> batch = chatLikeSpans();
    Meter meter = MeterProvider.noop().get("bench");
    Pipeline viaOtlp =
        new Pipeline(new InMemoryStorage(64 << 20), List.of(), meter, 16 << 20, 16 << 20);
    Pipeline inProcess =
        new Pipeline(new InMemoryStorage(64 << 20), List.of(), meter, 16 << 20, 16 << 20);
    OtlpHttpReceiver receiver = new OtlpHttpReceiver(viaOtlp, meter);
    InProcessExporter exporter = inProcess.newInProcessExporter();
    ThreadMXBean thread = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int round = 0; round < 3; round++) {
      long[] otlp = measure(thread, () -> otlpRound(batch, receiver, viaOtlp));
      long[] local = measure(thread, () -> exporter.export(batch));
      System.out.printf(
          "round %d: OTLP marshal+decode+store %.0f ns/span %.0f B/span | in-process %.0f ns/span"
              + " %.0f B/span%n",
          round,
          otlp[0] / (double) (ROUNDS * BATCH),
          otlp[1] / (double) (ROUNDS * BATCH),
          local[0] / (double) (ROUNDS * BATCH),
          local[1] / (double) (ROUNDS * BATCH));
    }
    viaOtlp.close();
    inProcess.close();
  }

  private static void otlpRound(List<SpanData> batch, OtlpHttpReceiver receiver, Pipeline p) {
    try {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      TraceRequestMarshaler.create(batch).writeBinaryTo(body);
      byte[] bytes = body.toByteArray();
      List<Span> spans = receiver.decodeStored(Format.OTLP_PROTOBUF, bytes);
      p.deliver(spans, System.currentTimeMillis(), bytes.length * 4L);
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  /** CPU nanoseconds and allocated bytes of {@link #ROUNDS} runs of {@code work}. */
  private static long[] measure(ThreadMXBean thread, Runnable work) {
    long id = Thread.currentThread().threadId();
    for (int i = 0; i < ROUNDS / 4; i++) {
      work.run(); // warm up
    }
    long cpu = thread.getCurrentThreadCpuTime();
    long allocated = thread.getThreadAllocatedBytes(id);
    for (int i = 0; i < ROUNDS; i++) {
      work.run();
    }
    return new long[] {
      thread.getCurrentThreadCpuTime() - cpu, thread.getThreadAllocatedBytes(id) - allocated
    };
  }

  /** {@value #BATCH} spans shaped like a chat's: server, client and database spans. */
  private static List<SpanData> chatLikeSpans() {
    InMemorySpanExporter recorded = InMemorySpanExporter.create();
    try (SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault().toBuilder()
                    .put("service.name", "uat-api")
                    .put("service.version", "0.1.0")
                    .build())
            .addSpanProcessor(SimpleSpanProcessor.create(recorded))
            .build()) {
      Tracer tracer = provider.get("dev.uat");
      while (recorded.getFinishedSpanItems().size() < BATCH) {
        io.opentelemetry.api.trace.Span server =
            tracer
                .spanBuilder("POST /api/chat")
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("http.request.method", "POST")
                .setAttribute("url.path", "/api/chat")
                .setAttribute("url.scheme", "http")
                .setAttribute("http.route", "/api/chat")
                .setAttribute("server.address", "127.0.0.1")
                .setAttribute("server.port", 9999L)
                .setAttribute("client.address", "127.0.0.1")
                .setAttribute("user_agent.original", "Java-http-client/25")
                .startSpan();
        Context parent = Context.current().with(server);
        for (int i = 0; i < 6; i++) {
          tracer
              .spanBuilder("INSERT uat.messages")
              .setParent(parent)
              .setSpanKind(SpanKind.CLIENT)
              .setAttribute("db.system.name", "h2")
              .setAttribute("db.namespace", "uat")
              .setAttribute(
                  "db.query.text",
                  "INSERT INTO messages (id, conversation_id, role, content) VALUES (?, ?, ?, ?)")
              .setAttribute("db.operation.name", "INSERT")
              .setAttribute("db.collection.name", "messages")
              .startSpan()
              .end();
        }
        tracer
            .spanBuilder("POST")
            .setParent(parent)
            .setSpanKind(SpanKind.CLIENT)
            .setAttribute("http.request.method", "POST")
            .setAttribute("url.full", "http://127.0.0.1:8003/v1/chat/completions")
            .setAttribute("server.address", "127.0.0.1")
            .setAttribute("server.port", 8003L)
            .setAttribute(AttributeKey.longKey("http.response.status_code"), 200L)
            .startSpan()
            .end();
        server.setAttribute(AttributeKey.longKey("http.response.status_code"), 200L);
        server.end();
      }
      return List.copyOf(recorded.getFinishedSpanItems().subList(0, BATCH));
    }
  }
}
