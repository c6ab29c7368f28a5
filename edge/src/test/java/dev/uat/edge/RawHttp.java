package dev.uat.edge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A test client that writes the request line and headers byte for byte, for requests that {@code
 * java.net.http.HttpClient} refuses to send (raw {@code |}, {@code %zz}, control characters).
 */
final class RawHttp {
  record Response(int status, Map<String, String> headers, String body) {
    JsonNode json() throws IOException {
      return Json.MAPPER.readTree(body);
    }

    String errorCode() throws IOException {
      return json().at("/error/code").asText();
    }
  }

  private RawHttp() {}

  /** {@code GET target} with {@code Connection: close}; the answer read to the end. */
  static Response get(int port, String target) throws IOException {
    return send(
        port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  }

  /** A WebSocket upgrade of {@code target}; the status and headers (a 101 is not read further). */
  static Response upgrade(int port, String target) throws IOException {
    return send(
        port,
        "GET "
            + target
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  }

  /** Sends {@code request} as UTF-8 and reads the response head and body. */
  static Response send(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      String statusLine = line(in);
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        headers.put(
            h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      if (status == 101) {
        return new Response(status, headers, "");
      }
      byte[] body;
      String length = headers.get("content-length");
      if (length != null) {
        body = in.readNBytes(Integer.parseInt(length));
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int size = Integer.parseInt(line(in).trim(), 16); size > 0; ) {
          out.write(in.readNBytes(size));
          line(in);
          size = Integer.parseInt(line(in).trim(), 16);
        }
        body = out.toByteArray();
      } else {
        body = in.readAllBytes();
      }
      return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed in the response head");
      }
      if (b != '\r') {
        out.write(b);
      }
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }
}
