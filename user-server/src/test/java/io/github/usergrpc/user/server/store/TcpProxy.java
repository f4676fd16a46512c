package io.github.usergrpc.user.server.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Forwards TCP connections from a local port to a target, until closed: closing it cuts every connection
 * and refuses new ones, which is how a test makes a database "go down" under a running store.
 */
final class TcpProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final String targetHost;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  private TcpProxy(String targetHost, int targetPort) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  /** Starts forwarding from a free local port to {@code targetHost:targetPort}. */
  static TcpProxy start(String targetHost, int targetPort) throws IOException {
    TcpProxy proxy = new TcpProxy(targetHost, targetPort);
    daemon("tcp-proxy-accept", proxy::accept);
    return proxy;
  }

  /** Returns the local port. */
  int port() {
    return listener.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }

  private void accept() {
    try {
      while (true) {
        Socket client = listener.accept();
        Socket target = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(target);
        daemon("tcp-proxy-up", () -> pump(client, target));
        daemon("tcp-proxy-down", () -> pump(target, client));
      }
    } catch (IOException closed) {
      // The proxy was closed.
    }
  }

  private static void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException cut) {
      // One side closed.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Already closed.
    }
  }

  private static void daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }
}
