package dev.uat.observatory.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.metrics.MeterProvider;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk journal: replay after a restart, torn tails, retention. */
@Timeout(60)
class JournalTest {
  @TempDir Path dir;

  private record Replayed(Format format, String body, long at) {}

  /** Opens the journal, appends {@code records}, forces them to the disk and closes it. */
  private void write(Replayed... records) throws Exception {
    try (Journal journal = open()) {
      for (Replayed r : records) {
        journal.append(r.format(), bytes(r.body()), r.at(), 1);
      }
      assertThat(journal.sync(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  private List<Replayed> reopen(long maxBytes, long segmentBytes) {
    List<Replayed> replayed = new ArrayList<>();
    try (Journal journal =
        Journal.open(
            dir,
            maxBytes,
            segmentBytes,
            MeterProvider.noop().get("test"),
            (f, b, t) -> replayed.add(new Replayed(f, new String(b, StandardCharsets.UTF_8), t)))) {
      return replayed;
    }
  }

  private Journal open() {
    return Journal.open(dir, 1 << 20, 1 << 20, MeterProvider.noop().get("test"), (f, b, t) -> {});
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private List<Path> segments() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("journal-")).sorted().toList();
    }
  }

  @Test
  void recordsAreReplayedInOrderAfterARestart() throws Exception {
    write(
        new Replayed(Format.OTLP_PROTOBUF, "one", 1_000),
        new Replayed(Format.ZIPKIN_JSON, "two", 2_000),
        new Replayed(Format.OTLP_JSON, "three", 3_000));

    assertThat(reopen(1 << 20, 1 << 20))
        .containsExactly(
            new Replayed(Format.OTLP_PROTOBUF, "one", 1_000),
            new Replayed(Format.ZIPKIN_JSON, "two", 2_000),
            new Replayed(Format.OTLP_JSON, "three", 3_000));
    assertThat(reopen(1 << 20, 1 << 20)).as("and again, after another restart").hasSize(3);
  }

  @Test
  void aTornLastRecordIsCutOffAndTheRecordsBeforeItSurvive() throws Exception {
    write(
        new Replayed(Format.OTLP_PROTOBUF, "kept", 1_000),
        new Replayed(Format.OTLP_PROTOBUF, "torn in half by a crash", 2_000));
    Path segment = segments().getLast();
    long size = Files.size(segment);
    try (FileChannel file = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      file.truncate(size - 7); // the crash: the last write only partly reached the disk
    }

    assertThat(reopen(1 << 20, 1 << 20))
        .containsExactly(new Replayed(Format.OTLP_PROTOBUF, "kept", 1_000));
    write(new Replayed(Format.OTLP_JSON, "after the crash", 3_000));
    assertThat(reopen(1 << 20, 1 << 20))
        .extracting(Replayed::body)
        .containsExactly("kept", "after the crash");
  }

  @Test
  void aCorruptedRecordEndsItsSegmentButNotTheOthers() throws Exception {
    write(
        new Replayed(Format.OTLP_PROTOBUF, "first", 1),
        new Replayed(Format.OTLP_PROTOBUF, "second", 2));
    Path segment = segments().getLast();
    byte[] content = Files.readAllBytes(segment);
    content[content.length - 2] ^= 0x55; // flip bits in the last record's body
    Files.write(segment, content);
    write(new Replayed(Format.OTLP_PROTOBUF, "third", 3));

    assertThat(reopen(1 << 20, 1 << 20))
        .extracting(Replayed::body)
        .containsExactly("first", "third");
  }

  @Test
  void theOldestSegmentsAreDeletedBeyondTheSizeLimit() throws Exception {
    byte[] kilobyte = new byte[1024];
    try (Journal journal =
        Journal.open(dir, 8 * 1024, 2 * 1024, MeterProvider.noop().get("t"), (f, b, t) -> {})) {
      for (int i = 0; i < 40; i++) {
        journal.append(Format.OTLP_PROTOBUF, kilobyte, i, 1);
      }
      assertThat(journal.sync(10, TimeUnit.SECONDS)).isTrue();
      assertThat(journal.diskBytes()).isLessThanOrEqualTo(8 * 1024 + 2 * 1100);
    }
    long total = 0;
    for (Path segment : segments()) {
      total += Files.size(segment);
    }
    assertThat(total).isLessThanOrEqualTo(8 * 1024 + 2 * 1100);
    List<Replayed> replayed = reopen(8 * 1024, 2 * 1024);
    assertThat(replayed).hasSizeBetween(5, 10);
    assertThat(replayed.getLast().at()).as("the newest survive").isEqualTo(39);
  }
}
