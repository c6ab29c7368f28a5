package dev.uat.it.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * A seeded mutation fuzzer: byte-level mutations (flips, random bytes, insertions, deletions,
 * duplications, splices, interesting tokens, invalid UTF-8, deep nesting, long runs) and, for JSON
 * seeds, structure-aware ones (a value replaced by a random JSON value of any type). The same seed
 * gives the same inputs. Not thread-safe: one per thread.
 */
final class Mutator {
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
    "\"type\"",
    "\"connect\"",
    "\"subscribe\"",
    "\"channel\"",
    "\"token\""
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

  final Random random;

  Mutator(long seed) {
    random = new Random(seed);
  }

  byte[] mutate(List<byte[]> seeds, boolean json) {
    byte[] seed = seeds.get(random.nextInt(seeds.size()));
    if (json && random.nextInt(3) == 0) {
      byte[] structured = mutateJson(seed);
      if (structured != null) {
        return random.nextInt(4) == 0 ? bytes(structured, seeds) : structured;
      }
    }
    return bytes(seed, seeds);
  }

  private byte[] bytes(byte[] seed, List<byte[]> seeds) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(seed);
    byte[] data = b.toByteArray();
    int ops = 1 + random.nextInt(4);
    for (int i = 0; i < ops; i++) {
      data = once(data, seeds);
    }
    return data;
  }

  private byte[] once(byte[] d, List<byte[]> seeds) {
    int n = d.length;
    int at = n == 0 ? 0 : random.nextInt(n + 1);
    switch (random.nextInt(11)) {
      case 0 -> {
        if (n > 0) {
          int i = random.nextInt(n);
          d = d.clone();
          d[i] ^= (byte) (1 << random.nextInt(8));
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
        // deep nesting
        int depth =
            random.nextInt(40) == 0 ? 5_000 + random.nextInt(50_000) : 10 + random.nextInt(200);
        String open = random.nextBoolean() ? "[" : "{\"a\":";
        return insert(d, at, open.repeat(depth).getBytes(StandardCharsets.UTF_8));
      }
      case 8 -> {
        // a long run
        int len =
            random.nextInt(40) == 0 ? 100_000 + random.nextInt(1_200_000) : random.nextInt(5_000);
        byte[] run = new byte[len];
        java.util.Arrays.fill(run, (byte) (random.nextBoolean() ? 'a' : random.nextInt(256)));
        return insert(d, at, run);
      }
      case 9 -> {
        // splice with another seed
        byte[] other = seeds.get(random.nextInt(seeds.size()));
        int cut = other.length == 0 ? 0 : random.nextInt(other.length);
        return concat(slice(d, 0, at), slice(other, cut, other.length));
      }
      default -> {
        // truncate
        return slice(d, 0, at);
      }
    }
  }

  /** The seed parsed as JSON with one value (or key) replaced; null when it does not parse. */
  private byte[] mutateJson(byte[] seed) {
    try {
      JsonNode root = Platform.JSON.readTree(seed);
      if (root == null || !root.isContainerNode()) {
        return null;
      }
      List<JsonNode> containers = new ArrayList<>();
      collect(root, containers);
      JsonNode target = containers.get(random.nextInt(containers.size()));
      if (target instanceof ObjectNode o && !o.isEmpty()) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        String name = names.get(random.nextInt(names.size()));
        switch (random.nextInt(4)) {
          case 0 -> o.remove(name);
          case 1 -> o.set(name + (random.nextBoolean() ? "x" : ""), randomValue(0));
          default -> o.set(name, randomValue(0));
        }
      } else if (target instanceof ArrayNode a) {
        if (!a.isEmpty() && random.nextBoolean()) {
          a.set(random.nextInt(a.size()), randomValue(0));
        } else {
          a.add(randomValue(0));
        }
      }
      return Platform.JSON.writeValueAsBytes(root);
    } catch (Exception e) {
      return null;
    }
  }

  private static void collect(JsonNode node, List<JsonNode> out) {
    if (node.isContainerNode()) {
      out.add(node);
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
        collect(it.next(), out);
      }
    }
  }

  JsonNode randomValue(int depth) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    return switch (random.nextInt(depth > 3 ? 9 : 11)) {
      case 0 -> f.nullNode();
      case 1 -> f.booleanNode(random.nextBoolean());
      case 2 -> f.numberNode(random.nextLong());
      case 3 -> f.numberNode(random.nextDouble() * Math.pow(10, random.nextInt(600) - 300));
      case 4 -> f.numberNode(new java.math.BigInteger(200, random));
      case 5 -> f.textNode("");
      case 6 -> f.textNode(randomString(random.nextInt(10) == 0 ? 70_000 : 20));
      case 7 -> f.numberNode(random.nextInt(3) - 1);
      case 8 -> f.textNode(TOKENS[random.nextInt(TOKENS.length)]);
      case 9 -> {
        ArrayNode a = f.arrayNode();
        for (int i = random.nextInt(4); i > 0; i--) {
          a.add(randomValue(depth + 1));
        }
        yield a;
      }
      default -> {
        ObjectNode o = f.objectNode();
        for (int i = random.nextInt(4); i > 0; i--) {
          o.set(randomString(6), randomValue(depth + 1));
        }
        yield o;
      }
    };
  }

  String randomString(int max) {
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

  static byte[] insert(byte[] d, int at, byte[] what) {
    return concat(concat(slice(d, 0, at), what), slice(d, at, d.length));
  }

  static byte[] slice(byte[] d, int from, int to) {
    from = Math.max(0, Math.min(from, d.length));
    to = Math.max(from, Math.min(to, d.length));
    return java.util.Arrays.copyOfRange(d, from, to);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
