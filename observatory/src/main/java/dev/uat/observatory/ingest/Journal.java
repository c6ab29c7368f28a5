package dev.uat.observatory.ingest;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The observatory's optional on-disk persistence: an append-only log of the export requests it
 * received (their bodies as decoded from gzip, with the format and the arrival time), replayed
 * through the same decoders at start so that stored traces survive a restart.
 *
 * <p>On disk: segment files {@code journal-<sequence>.log} in one directory, each a sequence of
 * records {@code [length:int][crc32c:int][receivedMillis:long][format:byte][body]} (big-endian;
 * length and checksum cover the last three fields). A record is appended with one write; a crash in
 * the middle of it leaves a torn tail, which {@link #open} detects by its length or checksum and
 * cuts off: a crash loses at most the batches not yet written, never the records before them.
 * Segments roll over at {@code segmentBytes}; the oldest are deleted while the journal holds more
 * than {@code maxBytes}. Records are forced to the device once a second and at {@link #close()}.
 *
 * <p>{@link #append} never blocks: records wait in a queue of at most {@value #MAX_PENDING_BYTES}
 * bytes for the writer thread; what does not fit is dropped and counted ({@code
 * uat.observatory.journal.dropped}, in spans). Thread-safe.
 */
public final class Journal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Journal.class);

  /** Bytes of records waiting for the writer before new ones are dropped. */
  static final long MAX_PENDING_BYTES = 32L * 1024 * 1024;

  static final int HEADER = 4 + 4 + 8 + 1;
  static final int MAX_RECORD = 65 * 1024 * 1024;
  private static final long FORCE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Receives each record read back at start, oldest first. */
  @FunctionalInterface
  public interface Replayer {
    void replay(Format format, byte[] body, long receivedMillis);
  }

  private record Pending(Format format, byte[] body, long receivedMillis, CountDownLatch synced) {}

  private static final Pending STOP = new Pending(null, new byte[0], 0, null);

  private final Path dir;
  private final long maxBytes;
  private final long segmentBytes;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final AtomicLong pendingBytes = new AtomicLong();
  private final LongCounter dropped;
  private final Thread writer;
  private final List<Path> segments = new ArrayList<>(); // oldest first; the writer's
  private long sequence;
  private FileChannel current;
  private long currentSize;
  private long totalBytes;
  private volatile boolean closed;

  private Journal(Path dir, long maxBytes, long segmentBytes, Meter meter) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = segmentBytes;
    this.dropped =
        meter
            .counterBuilder("uat.observatory.journal.dropped")
            .setUnit("{span}")
            .setDescription("Spans stored in memory but not written to disk: the writer was behind")
            .build();
    this.writer = Thread.ofPlatform().daemon().name("observatory-journal").unstarted(this::write);
  }

  /**
   * Opens (creating) the journal in {@code dir}, replays every intact record to {@code replayer},
   * cuts off a torn tail, and starts writing a new segment.
   *
   * @throws UncheckedIOException when the directory cannot be used
   */
  public static Journal open(
      Path dir, long maxBytes, long segmentBytes, Meter meter, Replayer replayer) {
    requireNonNull(dir, "dir");
    requireNonNull(replayer, "replayer");
    if (maxBytes <= 0 || segmentBytes <= 0) {
      throw new IllegalArgumentException("sizes must be positive");
    }
    Journal journal = new Journal(dir, maxBytes, segmentBytes, meter);
    try {
      Files.createDirectories(dir);
      journal.replayAll(replayer);
      journal.roll();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the span journal in " + dir, e);
    }
    journal.writer.start();
    return journal;
  }

  private void replayAll(Replayer replayer) throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "journal-*.log")) {
      files.forEach(found::add);
    }
    found.sort(null); // zero-padded sequence numbers sort by name
    long records = 0;
    for (Path segment : found) {
      records += replaySegment(segment, replayer);
      segments.add(segment);
      totalBytes += Files.size(segment);
      sequence = Math.max(sequence, sequenceOf(segment));
    }
    if (records > 0) {
      log.info("replayed {} export requests from {}", records, dir);
    }
  }

  private static long sequenceOf(Path segment) {
    String name = segment.getFileName().toString();
    try {
      return Long.parseLong(name.substring("journal-".length(), name.length() - ".log".length()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Replays one segment; cuts it at the first damaged record. Returns the records replayed. */
  static long replaySegment(Path segment, Replayer replayer) throws IOException {
    long good = 0;
    long records = 0;
    try (FileChannel in = FileChannel.open(segment, StandardOpenOption.READ)) {
      long size = in.size();
      ByteBuffer header = ByteBuffer.allocate(8);
      while (good + 8 <= size) {
        header.clear();
        readFully(in, header, good);
        int length = header.getInt(0);
        int crc = header.getInt(4);
        if (length < HEADER - 8 || length > MAX_RECORD || good + 8 + length > size) {
          break;
        }
        ByteBuffer payload = ByteBuffer.allocate(length);
        readFully(in, payload, good + 8);
        CRC32C check = new CRC32C();
        check.update(payload.array(), 0, length);
        if ((int) check.getValue() != crc) {
          break;
        }
        long receivedMillis = payload.getLong(0);
        Format format = Format.of(payload.get(8));
        if (format != null) {
          byte[] body = new byte[length - 9];
          System.arraycopy(payload.array(), 9, body, 0, body.length);
          try {
            replayer.replay(format, body, receivedMillis);
          } catch (RuntimeException e) {
            log.warn("skipped an unreadable journal record in {}: {}", segment, e.toString());
          }
          records++;
        }
        good += 8 + length;
      }
      if (good < size) {
        log.warn(
            "{}: cut off {} bytes of a torn or damaged record at offset {}",
            segment,
            size - good,
            good);
      }
    }
    if (good < Files.size(segment)) {
      try (FileChannel out = FileChannel.open(segment, StandardOpenOption.WRITE)) {
        out.truncate(good);
        out.force(true);
      }
    }
    return records;
  }

  private static void readFully(FileChannel in, ByteBuffer buffer, long position)
      throws IOException {
    while (buffer.hasRemaining()) {
      if (in.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("unexpected end of file");
      }
    }
    buffer.flip();
  }

  /**
   * Queues a record for the disk; drops it (counting {@code spans}) when the writer is behind by
   * more than {@value #MAX_PENDING_BYTES} bytes or the journal is closed.
   */
  public void append(Format format, byte[] body, long receivedMillis, int spans) {
    if (closed || pendingBytes.addAndGet(body.length) > MAX_PENDING_BYTES) {
      pendingBytes.addAndGet(-body.length);
      dropped.add(spans);
      return;
    }
    queue.add(new Pending(format, body, receivedMillis, null));
  }

  /** Waits until every record appended so far is written and forced to the device. */
  public boolean sync(long timeout, TimeUnit unit) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    queue.add(new Pending(null, new byte[0], 0, done));
    return done.await(timeout, unit);
  }

  private void write() {
    long lastForce = System.nanoTime();
    boolean dirty = false;
    while (true) {
      Pending next;
      try {
        next = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      try {
        if (next == STOP) {
          force();
          return;
        }
        if (next != null && next.synced != null) {
          force();
          dirty = false;
          next.synced.countDown();
          continue;
        }
        if (next != null) {
          pendingBytes.addAndGet(-next.body.length);
          writeRecord(next);
          dirty = true;
        }
        if (dirty && System.nanoTime() - lastForce > FORCE_INTERVAL_NANOS) {
          force();
          dirty = false;
          lastForce = System.nanoTime();
        }
      } catch (IOException | RuntimeException e) {
        log.warn("the span journal could not write to {}: {}", dir, e.toString());
      }
    }
  }

  private void writeRecord(Pending record) throws IOException {
    int length = 9 + record.body.length;
    ByteBuffer buffer = ByteBuffer.allocate(8 + length);
    buffer.putInt(length).putInt(0).putLong(record.receivedMillis).put((byte) record.format.code());
    buffer.put(record.body);
    CRC32C crc = new CRC32C();
    crc.update(buffer.array(), 8, length);
    buffer.putInt(4, (int) crc.getValue());
    buffer.flip();
    if (currentSize > 0 && currentSize + buffer.remaining() > segmentBytes) {
      roll();
    }
    while (buffer.hasRemaining()) {
      current.write(buffer);
    }
    currentSize += 8 + length;
    totalBytes += 8 + length;
    trim();
  }

  private void force() throws IOException {
    if (current != null && current.isOpen()) {
      current.force(false);
    }
  }

  /** Starts a new segment. */
  private void roll() throws IOException {
    if (current != null) {
      current.force(false);
      current.close();
    }
    Path next = dir.resolve(String.format("journal-%016d.log", ++sequence));
    current =
        FileChannel.open(
            next,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
    segments.add(next);
    currentSize = 0;
    trim();
  }

  /** Deletes the oldest segments (never the current one) while over the size limit. */
  private void trim() throws IOException {
    while (totalBytes > maxBytes && segments.size() > 1) {
      Path oldest = segments.removeFirst();
      long size = Files.size(oldest);
      Files.deleteIfExists(oldest);
      totalBytes -= size;
    }
  }

  /** Bytes the journal holds on disk. */
  public long diskBytes() {
    return totalBytes;
  }

  public Path directory() {
    return dir;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    queue.add(STOP);
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (current != null) {
        current.close();
      }
    } catch (IOException e) {
      log.warn("closing the span journal: {}", e.toString());
    }
  }

  @Override
  public String toString() {
    return "Journal{" + dir + ", " + totalBytes + " bytes}";
  }
}
