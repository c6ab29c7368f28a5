package dev.uat.observatory.store;

import static dev.uat.observatory.store.TestSpans.service;
import static dev.uat.observatory.store.TestSpans.span;
import static dev.uat.observatory.store.TestSpans.traceId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of every {@link Storage}: each implementation extends this class and says how to
 * make a fresh one.
 */
public abstract class SpanStoreContractTest {
  /** A generous budget: nothing a test writes is evicted. */
  protected static final long LARGE = 256L * 1024 * 1024;

  private final List<Storage> opened = new ArrayList<>();

  /** A fresh, empty storage that keeps about {@code maxBytes} of spans. */
  protected abstract Storage newStorage(long maxBytes);

  protected Storage storage(long maxBytes) {
    Storage storage = newStorage(maxBytes);
    opened.add(storage);
    return storage;
  }

  @AfterEach
  void closeStorages() {
    opened.forEach(Storage::close);
  }

  @Test
  void acceptedSpansAreReadBackAsOneTraceOrderedByStartTime() {
    Storage storage = storage(LARGE);
    Resource api = service("uat-api");
    TraceId id = traceId(1);
    Span child = span(id, 2, 1, api);
    Span root = span(id, 1, api);
    Span other = span(traceId(2), 3, api);

    storage.spanConsumer().accept(List.of(child, other, root));

    Trace trace = storage.spanStore().trace(id).orElseThrow();
    assertThat(trace.traceId()).isEqualTo(id);
    assertThat(trace.spans()).containsExactly(root, child);
    assertThat(storage.spanStore().trace(traceId(2)).orElseThrow().spans()).containsExactly(other);
  }

  @Test
  void spansOfOneTraceArrivingInSeveralBatchesFormOneTrace() {
    Storage storage = storage(LARGE);
    Resource api = service("uat-api");
    Resource router = service("uat-router");
    TraceId id = traceId(7);

    storage.spanConsumer().accept(List.of(span(id, 2, 1, router)));
    storage.spanConsumer().accept(List.of(span(id, 1, api)));

    Trace trace = storage.spanStore().trace(id).orElseThrow();
    assertThat(trace.spans()).extracting(Span::spanId).containsExactly(1L, 2L);
    assertThat(trace.spans())
        .extracting(Span::serviceName)
        .containsExactly("uat-api", "uat-router");
  }

  @Test
  void unknownTraceIsAbsent() {
    Storage storage = storage(LARGE);
    storage.spanConsumer().accept(List.of(span(traceId(1), 1, service("uat-api"))));

    assertThat(storage.spanStore().trace(traceId(2))).isEmpty();
    assertThat(storage.spanStore().trace("ffffffffffffffffffffffffffffffff")).isEmpty();
  }

  @Test
  void traceIdTextIsCaseInsensitiveAndShortIdsArePaddedWithZeros() {
    Storage storage = storage(LARGE);
    TraceId wide = new TraceId(0xABCDEF0123456789L, 0x0011223344556677L);
    TraceId narrow = new TraceId(0, 0x00000000000000ffL);
    storage
        .spanConsumer()
        .accept(List.of(span(wide, 1, service("uat-api")), span(narrow, 2, service("uat-api"))));

    assertThat(storage.spanStore().trace("ABCDEF01234567890011223344556677")).isPresent();
    assertThat(storage.spanStore().trace("abcdef01234567890011223344556677")).isPresent();
    assertThat(storage.spanStore().trace("00000000000000ff")).isPresent();
    assertThat(storage.spanStore().trace("ff")).isPresent();
    assertThat(storage.spanStore().trace("000000000000000000000000000000ff")).isPresent();
  }

  @Test
  void malformedTraceIdTextIsRefused() {
    SpanStore store = storage(LARGE).spanStore();

    for (String bad : List.of("", "xyz", "0123456789abcdef0123456789abcdef0", "0000")) {
      assertThatThrownBy(() -> store.trace(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void servicesAreListedOnceAndSorted() {
    Storage storage = storage(LARGE);
    Resource router = service("uat-router");
    Resource api = service("uat-api");
    storage.spanConsumer().accept(List.of(span(traceId(1), 1, router), span(traceId(1), 2, api)));
    storage.spanConsumer().accept(List.of(span(traceId(2), 3, router)));
    storage.spanConsumer().accept(List.of(span(traceId(3), 4, Resource.empty())));

    assertThat(storage.spanStore().services())
        .containsExactly("uat-api", "uat-router", Resource.UNKNOWN_SERVICE);
  }

  @Test
  void oldestTracesAreEvictedFirstWhenOverTheByteBudget() {
    Storage storage = storage(64 * 1024);
    Resource api = service("uat-api");
    int count = 1_000; // far more than fits
    for (int i = 1; i <= count; i++) {
      storage.spanConsumer().accept(List.of(span(traceId(i), 2L * i, api)));
      storage.spanConsumer().accept(List.of(span(traceId(i), 2L * i + 1, 2L * i, api)));
    }

    SpanStore store = storage.spanStore();
    assertThat(store.trace(traceId(1))).as("the oldest trace").isEmpty();
    assertThat(store.trace(traceId(count)).orElseThrow().spans()).as("the newest").hasSize(2);
    int firstKept = count;
    while (firstKept > 1 && store.trace(traceId(firstKept - 1)).isPresent()) {
      firstKept--;
    }
    assertThat(firstKept).as("some traces are kept, far from all").isBetween(2, count - 10);
    for (int i = 1; i < firstKept; i++) {
      assertThat(store.trace(traceId(i))).as("trace %d, older than the oldest kept", i).isEmpty();
    }
  }

  @Test
  @Timeout(60)
  void concurrentWritersAndReadersLoseNoSpans() throws Exception {
    Storage storage = storage(LARGE);
    int writers = 8;
    int tracesPerWriter = 2_000;
    Resource api = service("uat-api");
    Resource router = service("uat-router");
    AtomicBoolean writing = new AtomicBoolean(true);
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    try (ExecutorService pool = Executors.newFixedThreadPool(writers + 2)) {
      List<Future<?>> writes = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        long base = (long) w * tracesPerWriter;
        writes.add(
            pool.submit(
                () -> {
                  start.await();
                  for (long t = base + 1; t <= base + tracesPerWriter; t++) {
                    storage.spanConsumer().accept(List.of(span(traceId(t), 2 * t, api)));
                    storage
                        .spanConsumer()
                        .accept(List.of(span(traceId(t), 2 * t + 1, 2 * t, router)));
                  }
                  return null;
                }));
      }
      List<Future<?>> reads = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        reads.add(
            pool.submit(
                () -> {
                  start.await();
                  while (writing.get()) {
                    long t = 1 + ThreadLocalRandom.current().nextLong(writers * tracesPerWriter);
                    Optional<Trace> trace = storage.spanStore().trace(traceId(t));
                    // each writer stores a trace's root before its child
                    if (trace.isPresent()
                        && (trace.get().spans().size() > 2
                            || trace.get().spans().getFirst().spanId() != 2 * t)) {
                      problems.add("trace " + t + ": " + trace.get().spans());
                    }
                    storage.spanStore().services();
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> write : writes) {
        write.get();
      }
      writing.set(false);
      for (Future<?> read : reads) {
        read.get();
      }
    }

    assertThat(problems).isEmpty();
    for (long t = 1; t <= (long) writers * tracesPerWriter; t++) {
      assertThat(storage.spanStore().trace(traceId(t)).orElseThrow().spans())
          .extracting(Span::spanId)
          .containsExactly(2 * t, 2 * t + 1);
    }
    assertThat(storage.spanStore().services()).containsExactly("uat-api", "uat-router");
  }

  @Test
  void checkPassesWhileOpenAndFailsAfterClose() {
    Storage storage = storage(LARGE);
    storage.check();

    storage.close();

    assertThatThrownBy(storage::check).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closedStorageDropsWritesAndFindsNothing() {
    Storage storage = storage(LARGE);
    storage.spanConsumer().accept(List.of(span(traceId(1), 1, service("uat-api"))));

    storage.close();
    storage.spanConsumer().accept(List.of(span(traceId(2), 2, service("uat-api"))));

    assertThat(storage.spanStore().trace(traceId(1))).isEmpty();
    assertThat(storage.spanStore().trace(traceId(2))).isEmpty();
  }

  // --- search, operations, summaries, dependencies ---

  private static Span.Builder spanOf(
      TraceId traceId, long spanId, long parent, Resource resource, String name) {
    return Span.builder()
        .traceId(traceId)
        .spanId(spanId)
        .parentSpanId(parent)
        .name(name)
        .kind(SpanKind.SERVER)
        .startEpochNanos(TestSpans.START + spanId * 1_000_000)
        .endEpochNanos(TestSpans.START + spanId * 1_000_000 + 5_000_000)
        .resource(resource);
  }

  private static List<TraceId> ids(List<Trace> traces) {
    return traces.stream().map(Trace::traceId).toList();
  }

  @Test
  void searchByServiceFindsTracesWithASpanOfThatServiceNewestFirst() {
    Storage storage = storage(LARGE);
    Resource api = service("uat-api");
    Resource router = service("uat-router");
    storage.spanConsumer().accept(List.of(span(traceId(1), 1, api)));
    storage.spanConsumer().accept(List.of(span(traceId(2), 2, router)));
    storage
        .spanConsumer()
        .accept(List.of(span(traceId(3), 3, api), span(traceId(3), 4, 3, router)));

    assertThat(ids(storage.spanStore().findTraces(TraceQuery.service("uat-api"))))
        .containsExactly(traceId(3), traceId(1));
    assertThat(ids(storage.spanStore().findTraces(TraceQuery.service("uat-router"))))
        .containsExactly(traceId(3), traceId(2));
    assertThat(storage.spanStore().findTraces(TraceQuery.service("nobody"))).isEmpty();
    assertThat(ids(storage.spanStore().findTraces(TraceQuery.service(""))))
        .as("any service")
        .containsExactly(traceId(3), traceId(2), traceId(1));
    assertThat(storage.spanStore().findTraces(TraceQuery.service("uat-api")).getFirst().spans())
        .as("whole traces")
        .hasSize(2);
  }

  @Test
  void searchConditionsMustHoldOnOneSpanOfTheService() {
    Storage storage = storage(LARGE);
    Resource api = service("uat-api");
    Resource router = service("uat-router");
    // trace 1: the api span is slow, the router span has the tag
    storage
        .spanConsumer()
        .accept(
            List.of(
                spanOf(traceId(1), 1, 0, api, "POST /api/chat")
                    .endEpochNanos(TestSpans.START + 1_000_000 + 300_000_000)
                    .build(),
                spanOf(traceId(1), 2, 1, router, "chat")
                    .attributes(Attributes.of("gen_ai.request.model", "llama3"))
                    .build()));
    // trace 2: one api span with both the tag and the name
    storage
        .spanConsumer()
        .accept(
            List.of(
                spanOf(traceId(2), 3, 0, api, "POST /api/chat")
                    .attributes(Attributes.of("gen_ai.request.model", "llama3", "n", 7L))
                    .build()));
    SpanStore store = storage.spanStore();
    TraceQuery api2 = TraceQuery.service("uat-api");

    assertThat(ids(store.findTraces(api2.withTags(Map.of("gen_ai.request.model", "llama3")))))
        .containsExactly(traceId(2));
    assertThat(ids(store.findTraces(api2.withTags(Map.of("n", "7"))))).containsExactly(traceId(2));
    assertThat(ids(store.findTraces(api2.withTags(Map.of("n", "8"))))).isEmpty();
    assertThat(ids(store.findTraces(api2.withOperation("POST /api/chat"))))
        .containsExactly(traceId(2), traceId(1));
    assertThat(ids(store.findTraces(api2.withOperation("chat")))).as("router's name").isEmpty();
    assertThat(ids(store.findTraces(api2.withDurations(100_000_000, 0))))
        .containsExactly(traceId(1));
    assertThat(ids(store.findTraces(api2.withDurations(0, 100_000_000))))
        .containsExactly(traceId(2));
    assertThat(
            ids(store.findTraces(TraceQuery.service("uat-router").withDurations(100_000_000, 0))))
        .as("the slow span is the api's")
        .isEmpty();
  }

  @Test
  void derivedProcessAndEventTagsAreSearchable() {
    Storage storage = storage(LARGE);
    Resource api = Resource.of(Attributes.of("service.name", "uat-api", "host.name", "box-7"));
    storage
        .spanConsumer()
        .accept(
            List.of(
                spanOf(traceId(1), 1, 0, api, "failing")
                    .status(StatusCode.ERROR, "boom")
                    .events(
                        List.of(
                            new Event(
                                TestSpans.START,
                                "exception",
                                Attributes.of("exception.type", "java.io.IOException"),
                                0)))
                    .build(),
                spanOf(traceId(2), 2, 0, api, "fine").kind(SpanKind.CLIENT).build()));
    SpanStore store = storage.spanStore();
    TraceQuery q = TraceQuery.service("uat-api");

    assertThat(ids(store.findTraces(q.withTags(Map.of("error", "true")))))
        .containsExactly(traceId(1));
    assertThat(ids(store.findTraces(q.withTags(Map.of("otel.status_code", "ERROR")))))
        .containsExactly(traceId(1));
    assertThat(ids(store.findTraces(q.withTags(Map.of("otel.status_description", "boom")))))
        .containsExactly(traceId(1));
    assertThat(ids(store.findTraces(q.withTags(Map.of("span.kind", "client")))))
        .containsExactly(traceId(2));
    assertThat(ids(store.findTraces(q.withTags(Map.of("host.name", "box-7")))))
        .containsExactly(traceId(2), traceId(1));
    assertThat(ids(store.findTraces(q.withTags(Map.of("event", "exception")))))
        .containsExactly(traceId(1));
    assertThat(ids(store.findTraces(q.withTags(Map.of("exception.type", "java.io.IOException")))))
        .containsExactly(traceId(1));
  }

  @Test
  void searchHonoursTheTimeWindowAndTheLimit() {
    Storage storage = storage(LARGE);
    Resource api = service("uat-api");
    for (int i = 1; i <= 10; i++) {
      storage.spanConsumer().accept(List.of(span(traceId(i), i, api)));
    }
    SpanStore store = storage.spanStore();
    long start3 = TestSpans.START + 3 * 1_000;
    long start6 = TestSpans.START + 6 * 1_000;

    assertThat(ids(store.findTraces(TraceQuery.service("uat-api").withStart(start3, start6))))
        .containsExactly(traceId(6), traceId(5), traceId(4), traceId(3));
    assertThat(ids(store.findTraces(TraceQuery.service("uat-api").withLimit(2))))
        .containsExactly(traceId(10), traceId(9));
  }

  @Test
  void summariesDescribeTheMatchingTracesWithoutTheirSpans() {
    Storage storage = storage(LARGE);
    Resource api = service("uat-api");
    Resource router = service("uat-router");
    storage
        .spanConsumer()
        .accept(
            List.of(
                spanOf(traceId(1), 2, 1, router, "chat").status(StatusCode.ERROR, "").build(),
                spanOf(traceId(1), 1, 0, api, "POST /api/chat").build(),
                spanOf(traceId(1), 3, 1, api, "SELECT").build()));

    TraceSummary summary =
        storage.spanStore().findTraceSummaries(TraceQuery.service("uat-router")).getFirst();

    assertThat(summary.traceId()).isEqualTo(traceId(1));
    assertThat(summary.rootService()).isEqualTo("uat-api");
    assertThat(summary.rootName()).isEqualTo("POST /api/chat");
    assertThat(summary.spanCount()).isEqualTo(3);
    assertThat(summary.errorCount()).isOne();
    assertThat(summary.startEpochNanos()).isEqualTo(TestSpans.START + 1_000_000);
    assertThat(summary.durationNanos()).isEqualTo(2_000_000 + 5_000_000);
    assertThat(summary.spansByService()).containsOnly(entry("uat-router", 1), entry("uat-api", 2));
    assertThat(summary)
        .isEqualTo(TraceSummary.of(storage.spanStore().trace(traceId(1)).orElseThrow()));
  }

  @Test
  void operationsAreListedWithTheirKindsAndLeaveWithTheirLastSpan() {
    Storage storage = storage(8 * 1024);
    Resource api = service("uat-api");
    storage
        .spanConsumer()
        .accept(
            List.of(
                spanOf(traceId(1), 1, 0, api, "POST /api/chat").build(),
                spanOf(traceId(1), 2, 1, api, "SELECT").kind(SpanKind.CLIENT).build(),
                spanOf(traceId(1), 3, 1, api, "SELECT").kind(SpanKind.INTERNAL).build()));

    assertThat(storage.spanStore().operations("uat-api"))
        .containsExactly(
            new Operation("POST /api/chat", SpanKind.SERVER),
            new Operation("SELECT", SpanKind.INTERNAL),
            new Operation("SELECT", SpanKind.CLIENT));
    assertThat(storage.spanStore().services()).contains("uat-api");
    assertThat(storage.spanStore().operations("nobody")).isEmpty();

    for (int i = 2; i < 200; i++) {
      storage.spanConsumer().accept(List.of(span(traceId(i), 10L * i, service("uat-other"))));
    }

    assertThat(storage.spanStore().trace(traceId(1))).as("evicted").isEmpty();
    assertThat(storage.spanStore().operations("uat-api")).as("no span refers to them").isEmpty();
    assertThat(storage.spanStore().services()).containsExactly("uat-other");
  }

  @Test
  void dependenciesCountCallsAndErrorsBetweenServicesInTheWindow() {
    Storage storage = storage(LARGE);
    Resource edge = service("uat-edge");
    Resource api = service("uat-api");
    Resource router = service("uat-router");
    for (int t = 1; t <= 3; t++) {
      storage
          .spanConsumer()
          .accept(
              List.of(
                  spanOf(traceId(t), 10L * t, 0, edge, "in").build(),
                  spanOf(traceId(t), 10L * t + 1, 10L * t, api, "api").build(),
                  spanOf(traceId(t), 10L * t + 2, 10L * t + 1, api, "db").build(),
                  spanOf(traceId(t), 10L * t + 3, 10L * t + 1, router, "llm")
                      .status(t == 2 ? StatusCode.ERROR : StatusCode.UNSET, "")
                      .build(),
                  spanOf(traceId(t), 10L * t + 4, 10L * t + 1, router, "llm2").build()));
    }
    long end = TestSpans.START / 1_000_000 + 1_000;

    assertThat(storage.spanStore().dependencies(end, 10_000))
        .containsExactly(
            new DependencyLink("uat-api", "uat-router", 6, 1),
            new DependencyLink("uat-edge", "uat-api", 3, 0));
    assertThat(storage.spanStore().dependencies(TestSpans.START / 1_000_000 - 10_000, 1_000))
        .as("outside the window")
        .isEmpty();
  }
}
