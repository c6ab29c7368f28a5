package dev.uat.it.reliability;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Valid inputs for each fuzzed entry point, the fuzzer's starting points. */
final class Seeds {
  private Seeds() {}

  static final String TRACE = "5b8efff798038103d269b633813fc60c";
  static final String SPAN = "eee19b7ec3c1b174";
  static final String PARENT = "eee19b7ec3c1b173";

  static List<byte[]> otlpJson() {
    long now = System.currentTimeMillis() * 1_000_000L;
    return utf8(
        """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"fuzz"}}]},
         "scopeSpans":[{"scope":{"name":"fuzz","version":"1"},"spans":[{"traceId":"%s","spanId":"%s",
         "parentSpanId":"%s","name":"GET /x","kind":2,"startTimeUnixNano":"%d","endTimeUnixNano":"%d",
         "attributes":[{"key":"http.response.status_code","value":{"intValue":"200"}},
         {"key":"a","value":{"arrayValue":{"values":[{"doubleValue":1.5},{"boolValue":true}]}}},
         {"key":"k","value":{"kvlistValue":{"values":[{"key":"x","value":{"bytesValue":"AQI="}}]}}}],
         "events":[{"timeUnixNano":"%d","name":"e","attributes":[]}],
         "links":[{"traceId":"%s","spanId":"%s"}],"status":{"code":2,"message":"bad"}}]}]}]}
        """
            .formatted(TRACE, SPAN, PARENT, now, now + 1_000_000, now + 500, TRACE, PARENT),
        "{\"resourceSpans\":[]}",
        "{}");
  }

  static List<byte[]> otlpProtobuf() {
    long now = System.currentTimeMillis() * 1_000_000L;
    HexFormat hex = HexFormat.of();
    byte[] attr = concat(str(1, "service.name"), msg(2, str(1, "fuzz")));
    byte[] resource = msg(1, msg(1, attr));
    byte[] kv = msg(9, concat(str(1, "http.response.status_code"), msg(2, varint(3, 200))));
    byte[] span =
        concat(
            bytes(1, hex.parseHex(TRACE)),
            bytes(2, hex.parseHex(SPAN)),
            bytes(4, hex.parseHex(PARENT)),
            str(5, "GET /x"),
            varint(6, 2),
            fixed64(7, now),
            fixed64(8, now + 1_000_000),
            kv,
            msg(11, concat(fixed64(1, now + 10), str(2, "event"))),
            msg(15, concat(str(2, "boom"), varint(3, 2))));
    byte[] scopeSpans = concat(msg(1, str(1, "fuzz")), msg(2, span));
    byte[] request = msg(1, concat(resource, msg(2, scopeSpans)));
    return List.of(request, new byte[0], msg(1, new byte[0]));
  }

  static List<byte[]> zipkin() {
    long micros = System.currentTimeMillis() * 1000L;
    return utf8(
        """
        [{"traceId":"%s","id":"%s","parentId":"%s","name":"get /x","kind":"SERVER",
          "timestamp":%d,"duration":1500,"localEndpoint":{"serviceName":"fuzz","ipv4":"127.0.0.1","port":8080},
          "remoteEndpoint":{"serviceName":"peer","ipv6":"::1"},"tags":{"http.status_code":"500","error":"x"},
          "annotations":[{"timestamp":%d,"value":"ws"}],"shared":false,"debug":true}]
        """
            .formatted(TRACE.substring(16), SPAN, PARENT, micros, micros + 10),
        "[]");
  }

  static List<byte[]> register() {
    return utf8(
        "{\"email\":\"fuzz@example.com\",\"password\":\"a long password 1\"}",
        "{\"email\":\"f@example.com\",\"password\":\"a long password 1\",\"display_name\":\"F\"}");
  }

  static List<byte[]> chat() {
    return utf8(
        "{\"message\":\"hello\"}",
        "{\"message\":\"hello\",\"model\":\"echo\",\"stream\":false}",
        "{\"conversation_id\":\"00000000-0000-0000-0000-000000000000\",\"message\":\"x\"}");
  }

  static List<byte[]> conversation() {
    return utf8("{\"title\":\"a title\"}", "{}");
  }

  static List<byte[]> me() {
    return utf8("{\"display_name\":\"someone\"}", "{\"email\":\"x@example.com\"}");
  }

  static List<byte[]> keys() {
    return utf8("{\"name\":\"k\",\"scopes\":[\"chat\"]}", "{\"name\":\"k\",\"expires_in_days\":3}");
  }

  static List<byte[]> completions() {
    return utf8(
        "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"model\":\"echo\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],\"temperature\":0.5,\"top_p\":1,"
            + "\"max_tokens\":10,\"stop\":[\"x\"],\"stream\":false,\"n\":1,\"seed\":3,"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}]}",
        "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
            + "\"stream_options\":{\"include_usage\":true}}");
  }

  static List<byte[]> embeddings() {
    return utf8(
        "{\"model\":\"echo\",\"input\":\"hello\"}",
        "{\"model\":\"echo\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"float\"}");
  }

  static List<byte[]> wsFrames() {
    return utf8(
        "{\"type\":\"subscribe\",\"channel\":\"conversation:1\",\"id\":1}",
        "{\"type\":\"subscribe\",\"channel\":\"conversation:1\",\"since\":{\"offset\":17,\"epoch\":\"a1b2c3d4\"}}",
        "{\"type\":\"ack\",\"channel\":\"user:x\",\"offset\":20}",
        "{\"type\":\"unsubscribe\",\"channel\":\"conversation:1\"}",
        "{\"type\":\"pong\"}",
        "{\"type\":\"connect\",\"token\":\"x\",\"ack\":true}",
        "{\"type\":\"history\",\"channel\":\"conversation:1\",\"limit\":10}",
        "{\"type\":\"presence\",\"channel\":\"conversation:1\"}");
  }

  static List<byte[]> yaml() {
    return utf8(
        "provider: echo\nedge-port: 0\nrate-limit-chats: 60\nbcrypt-cost: 4\n",
        "host: 127.0.0.1\ninternal-host: 127.0.0.1\ntrusted-proxies: 127.0.0.0/8,::1\n"
            + "observatory-max-bytes: 67108864\nobservatory-persist: false\n",
        "otlp-endpoint: http://127.0.0.1:4318\nredis-url: redis://127.0.0.1:6379\nmodel: echo\n");
  }

  private static List<byte[]> utf8(String... s) {
    List<byte[]> out = new ArrayList<>();
    for (String x : s) {
      out.add(x.getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  // protobuf wire format, just enough for OTLP
  static byte[] tag(int field, int wire) {
    return rawVarint(((long) field << 3) | wire);
  }

  static byte[] rawVarint(long v) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while ((v & ~0x7FL) != 0) {
      b.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    b.write((int) v);
    return b.toByteArray();
  }

  static byte[] varint(int field, long v) {
    return concat(tag(field, 0), rawVarint(v));
  }

  static byte[] fixed64(int field, long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return concat(tag(field, 1), b);
  }

  static byte[] bytes(int field, byte[] v) {
    return concat(tag(field, 2), rawVarint(v.length), v);
  }

  static byte[] msg(int field, byte[] v) {
    return bytes(field, v);
  }

  static byte[] str(int field, String v) {
    return bytes(field, v.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }
}
