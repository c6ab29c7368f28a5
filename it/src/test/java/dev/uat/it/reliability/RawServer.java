package dev.uat.it.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP server of raw sockets, one virtual thread per connection: what the faulty
 * dependencies ({@link FaultyServer}, {@link FaultyProvider}) are built on, so that they can
 * misbehave in ways no HTTP server library allows. Closing it closes every connection.
 */
abstract class RawServer implements AutoCloseable {
  final AtomicInteger connections = new AtomicInteger();
  private final ServerSocket server;
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  RawServer() throws IOException {
    server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(this::accept);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Serves one connection on its own virtual thread; closes {@code s} when done. */
  abstract void serve(Socket s);

  /** One request's head through its blank line (ISO-8859-1), or null when the peer closed. */
  static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        connections.incrementAndGet();
        open.add(s);
        Thread.ofVirtual().start(() -> serve(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) {
      s.close();
    }
  }
}
