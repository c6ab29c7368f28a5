package dev.uat.telemetry;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;
import java.util.function.Predicate;

/**
 * An in-process, seeded fuzzer for decoders: each input is a mutation of a seed (byte flips, random
 * bytes, insertions, deletions, duplications, splices, interesting tokens, invalid UTF-8, deep
 * nesting, long runs, a JSON value replaced by a random one) or a fresh input from a
 * structure-aware generator, itself mutated half of the time. The same seed gives the same inputs.
 *
 * <p>For every input it checks three invariants: the target throws nothing but its documented
 * rejection ({@code rejected}); the bytes the thread allocated (ThreadMXBean) stay within {@code
 * allocationBound(input length)}; the call returns within {@link #maxNanos}. A broken invariant is
 * a finding: printed, kept with its input in {@code target/fuzz-findings/}, and listed in the
 * {@link Report}.
 *
 * <p>How many inputs: {@code -Dfuzz.inputs=N}, else as many as fit in {@code -Dfuzz.seconds} (3 by
 * default) and at most {@link #SUITE_INPUTS}: the suite's short run. {@code -Dfuzz.seed} (13) picks
 * the sequence. Runs on the calling thread; not thread-safe.
 */
public final class Fuzzer {
  /** The most inputs a run without {@code -Dfuzz.inputs} takes. */
  public static final long SUITE_INPUTS = 200_000;

  /** What is fuzzed: one call per input. */
  public interface Target {
    void accept(byte[] input) throws Exception;
  }

  /** One broken invariant with its input (the first 20 of a run are kept). */
  public record Finding(String what, byte[] input) {}

  /** What a run did. */
  public record Report(
      String name,
      long inputs,
      long rejected,
      long maxAllocated,
      int maxAllocatedInputLength,
      long maxNanos,
      double seconds,
      long broken,
      List<Finding> findings) {
    /** One line: {@code fuzz NAME inputs=… rejected=… findings=…}, as fuzz.sh collects them. */
    public String line() {
      return String.format(
          "fuzz %s inputs=%d rejected=%d findings=%d max-allocated=%dB(input %dB)"
              + " max-ms=%.1f seconds=%.1f",
          name,
          inputs,
          rejected,
          broken,
          maxAllocated,
          maxAllocatedInputLength,
          maxNanos / 1e6,
          seconds);
    }
  }

  static final String[] TOKENS = {
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "false",
    "-1",
    "0",
    "-0",
    "1e309",
    "-1e309",
    "99999999999999999999999",
    "9223372036854775808",
    "NaN",
    "\\u0000",
    "\\uD800",
    "\\",
    "\"\\",
    "{}",
    "[]",
    "\"\"",
    "\u0000",
    "\u00ff",
    "\ud83d\ude00",
    "{\"a\":",
    "0x10",
    "\r\n",
    " ",
    "1.5",
    "---",
    "- ",
    ": ",
    "&a",
    "*a",
    "!!binary",
    "? ",
    "|",
    ">",
    "%YAML 1.1",
    "\t",
    "~",
    "'"
  };
  static final byte[][] BAD_UTF8 = {
    {(byte) 0xC3, 0x28},
    {(byte) 0xA0, (byte) 0xA1},
    {(byte) 0xE2, 0x28, (byte) 0xA1},
    {(byte) 0xF0, 0x28, (byte) 0x8C, (byte) 0xBC},
    {(byte) 0xFF},
    {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
    {(byte) 0xC0, (byte) 0x80}
  };
  private static final int KEPT_FINDINGS = 20;

  private final String name;
  private final List<byte[]> seeds;
  private final Predicate<Throwable> rejected;
  private final LongUnaryOperator allocationBound;
  private Function<Random, byte[]> generator;
  private long maxNanos = 2_000_000_000L;
  private final Random random = new Random(Long.getLong("fuzz.seed", 13));

  /**
   * @param name the target's name in reports and finding files
   * @param seeds valid inputs to mutate (at least one)
   * @param rejected the documented rejection: thrown for bad input, not a finding
   * @param allocationBound the most bytes one input of the given length may allocate
   */
  public Fuzzer(
      String name,
      List<byte[]> seeds,
      Predicate<Throwable> rejected,
      LongUnaryOperator allocationBound) {
    this.name = name;
    this.seeds = List.copyOf(seeds);
    this.rejected = rejected;
    this.allocationBound = allocationBound;
  }

  /** A structure-aware generator of fresh inputs, used for a third of them. */
  public Fuzzer generator(Function<Random, byte[]> generator) {
    this.generator = generator;
    return this;
  }

  /** The longest one input may take (2 s by default: the machine is shared and noisy). */
  public Fuzzer maxNanos(long nanos) {
    this.maxNanos = nanos;
    return this;
  }

  /** Runs the target over the inputs; prints and returns the report. */
  public Report run(Target target) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    // warm up on the seeds: class loading and first-call caches are not the input's doing
    for (int round = 0; round < 50; round++) {
      for (byte[] seed : seeds) {
        call(target, seed);
      }
    }
    long wanted = Long.getLong("fuzz.inputs", -1);
    long deadline =
        System.nanoTime()
            + (long) (Double.parseDouble(System.getProperty("fuzz.seconds", "3")) * 1e9);
    long start = System.nanoTime();
    long inputs = 0;
    long rejections = 0;
    long maxAllocated = 0;
    int maxAllocatedLength = 0;
    long slowest = 0;
    long brokenCount = 0;
    List<Finding> findings = new ArrayList<>();
    long thread = Thread.currentThread().threadId();
    while (wanted >= 0 ? inputs < wanted : inputs < SUITE_INPUTS && System.nanoTime() < deadline) {
      byte[] input = next();
      inputs++;
      if (inputs % 20_000 == 0) {
        System.out.printf(
            "fuzz %s progress inputs=%d seconds=%.0f%n",
            name, inputs, (System.nanoTime() - start) / 1e9);
      }
      long allocatedBefore = threads.getThreadAllocatedBytes(thread);
      long t0 = System.nanoTime();
      Throwable thrown = call(target, input);
      long nanos = System.nanoTime() - t0;
      long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
      String broken = null;
      if (thrown != null && !rejected.test(thrown)) {
        broken = "threw " + thrown;
      } else if (allocated > allocationBound.applyAsLong(input.length)) {
        broken =
            "allocated "
                + allocated
                + " bytes for "
                + input.length
                + " (bound "
                + allocationBound.applyAsLong(input.length)
                + ")";
      } else if (nanos > maxNanos) {
        broken = "took " + nanos / 1_000_000 + " ms";
      }
      if (thrown != null && broken == null) {
        rejections++;
      }
      if (allocated > maxAllocated) {
        maxAllocated = allocated;
        maxAllocatedLength = input.length;
      }
      slowest = Math.max(slowest, nanos);
      if (broken != null) {
        brokenCount++;
        if (findings.size() < KEPT_FINDINGS) {
          findings.add(new Finding(broken, input));
          keep(findings.size(), broken, input, thrown);
        }
      }
    }
    Report report =
        new Report(
            name,
            inputs,
            rejections,
            maxAllocated,
            maxAllocatedLength,
            slowest,
            (System.nanoTime() - start) / 1e9,
            brokenCount,
            List.copyOf(findings));
    System.out.println(report.line());
    for (Finding f : findings) {
      System.out.println("fuzz " + name + " finding: " + f.what());
    }
    return report;
  }

  private static Throwable call(Target target, byte[] input) {
    try {
      target.accept(input);
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  private void keep(int n, String what, byte[] input, Throwable thrown) {
    try {
      Path dir = Path.of("target", "fuzz-findings");
      Files.createDirectories(dir);
      Files.write(dir.resolve(name + "-" + n + ".bin"), input);
      StringBuilder text = new StringBuilder(what).append('\n');
      if (thrown != null) {
        for (StackTraceElement e : thrown.getStackTrace()) {
          text.append("  at ").append(e).append('\n');
        }
      }
      Files.writeString(dir.resolve(name + "-" + n + ".txt"), text);
    } catch (IOException e) {
      System.out.println("fuzz " + name + ": cannot keep a finding: " + e);
    }
  }

  /** The next input. */
  byte[] next() {
    byte[] base;
    if (generator != null && random.nextInt(3) == 0) {
      base = generator.apply(random);
      if (random.nextBoolean()) {
        return base;
      }
    } else {
      base = seeds.get(random.nextInt(seeds.size()));
    }
    int ops = 1 + random.nextInt(4);
    for (int i = 0; i < ops; i++) {
      base = once(base);
    }
    return base;
  }

  private byte[] once(byte[] d) {
    int n = d.length;
    int at = n == 0 ? 0 : random.nextInt(n + 1);
    switch (random.nextInt(12)) {
      case 0 -> {
        if (n > 0) {
          d = d.clone();
          d[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
        }
        return d;
      }
      case 1 -> {
        if (n > 0) {
          d = d.clone();
          d[random.nextInt(n)] = (byte) random.nextInt(256);
        }
        return d;
      }
      case 2 -> {
        byte[] r = new byte[1 + random.nextInt(16)];
        random.nextBytes(r);
        return insert(d, at, r);
      }
      case 3 -> {
        if (n == 0) {
          return d;
        }
        int from = random.nextInt(n);
        int len = 1 + random.nextInt(Math.min(64, n - from));
        return concat(slice(d, 0, from), slice(d, from + len, n));
      }
      case 4 -> {
        if (n == 0) {
          return d;
        }
        int from = random.nextInt(n);
        int len = 1 + random.nextInt(Math.min(256, n - from));
        return insert(d, at, slice(d, from, from + len));
      }
      case 5 -> {
        return insert(
            d, at, TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
      }
      case 6 -> {
        return insert(d, at, BAD_UTF8[random.nextInt(BAD_UTF8.length)]);
      }
      case 7 -> {
        int depth =
            random.nextInt(40) == 0 ? 5_000 + random.nextInt(50_000) : 10 + random.nextInt(200);
        String open = random.nextBoolean() ? "[" : random.nextBoolean() ? "{\"a\":" : "- ";
        return insert(d, at, open.repeat(depth).getBytes(StandardCharsets.UTF_8));
      }
      case 8 -> {
        int len =
            random.nextInt(40) == 0 ? 100_000 + random.nextInt(1_000_000) : random.nextInt(5_000);
        byte[] run = new byte[len];
        Arrays.fill(run, (byte) (random.nextBoolean() ? 'a' : random.nextInt(256)));
        return insert(d, at, run);
      }
      case 9 -> {
        byte[] other = seeds.get(random.nextInt(seeds.size()));
        int cut = other.length == 0 ? 0 : random.nextInt(other.length);
        return concat(slice(d, 0, at), slice(other, cut, other.length));
      }
      case 10 -> {
        return jsonValue(d);
      }
      default -> {
        return slice(d, 0, at);
      }
    }
  }

  /** Structure-aware for JSON: the scalar after a random ':' or '[' replaced by a random value. */
  private byte[] jsonValue(byte[] d) {
    int n = d.length;
    if (n == 0) {
      return d;
    }
    int from = random.nextInt(n);
    while (from < n && d[from] != ':' && d[from] != '[') {
      from++;
    }
    if (from >= n) {
      return d;
    }
    int end = from + 1;
    while (end < n && d[end] != ',' && d[end] != '}' && d[end] != ']') {
      end++;
    }
    byte[] value = randomJson(random, 0).getBytes(StandardCharsets.UTF_8);
    return concat(concat(slice(d, 0, from + 1), value), slice(d, end, n));
  }

  /** A random JSON value (any type, strings with control and non-ASCII characters). */
  public static String randomJson(Random random, int depth) {
    return switch (random.nextInt(depth > 3 ? 9 : 11)) {
      case 0 -> "null";
      case 1 -> String.valueOf(random.nextBoolean());
      case 2 -> String.valueOf(random.nextLong());
      case 3 -> String.valueOf(random.nextDouble() * Math.pow(10, random.nextInt(600) - 300));
      case 4 -> new java.math.BigInteger(200, random).toString();
      case 5 -> "\"\"";
      case 6 -> quote(randomString(random, random.nextInt(10) == 0 ? 70_000 : 20));
      case 7 -> String.valueOf(random.nextInt(3) - 1);
      case 8 -> quote(TOKENS[random.nextInt(TOKENS.length)]);
      case 9 -> {
        StringBuilder b = new StringBuilder("[");
        for (int i = random.nextInt(4); i > 0; i--) {
          b.append(randomJson(random, depth + 1)).append(i > 1 ? "," : "");
        }
        yield b.append(']').toString();
      }
      default -> {
        StringBuilder b = new StringBuilder("{");
        for (int i = random.nextInt(4); i > 0; i--) {
          b.append(quote(randomString(random, 6)))
              .append(':')
              .append(randomJson(random, depth + 1))
              .append(i > 1 ? "," : "");
        }
        yield b.append('}').toString();
      }
    };
  }

  /** A random string of up to {@code max} characters: control, ASCII and other characters. */
  public static String randomString(Random random, int max) {
    int len = random.nextInt(max + 1);
    StringBuilder b = new StringBuilder(len);
    for (int i = 0; i < len; i++) {
      int kind = random.nextInt(10);
      b.append(
          kind == 0
              ? (char) random.nextInt(0x20)
              : kind == 1
                  ? (char) (0x80 + random.nextInt(0xFF00))
                  : (char) (0x20 + random.nextInt(95)));
    }
    return b.toString();
  }

  /** {@code s} as a JSON string. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  static byte[] insert(byte[] d, int at, byte[] what) {
    return concat(concat(slice(d, 0, at), what), slice(d, at, d.length));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  static byte[] slice(byte[] d, int from, int to) {
    return Arrays.copyOfRange(d, Math.max(0, from), Math.max(Math.max(0, from), to));
  }
}
