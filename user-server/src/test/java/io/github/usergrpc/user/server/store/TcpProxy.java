package io.github.usergrpc.user.server.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of a database that a test can take down and bring back on the same port:
 * {@link #down()} cuts every connection and refuses new ones, as a stopped database does to its clients,
 * without stopping the shared database other tests use; {@link #up()} accepts connections again.
 */
public final class TcpProxy implements AutoCloseable {

  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile ServerSocket listener;

  private TcpProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.listener = bind(0);
    this.port = listener.getLocalPort();
    accepting(listener);
  }

  /** Starts forwarding from a free loopback port to {@code targetHost:targetPort}. */
  public static TcpProxy start(String targetHost, int targetPort) throws IOException {
    return new TcpProxy(targetHost, targetPort);
  }

  /** Returns the local port. */
  public int port() {
    return port;
  }

  /** Cuts every open connection and refuses new ones. */
  public synchronized void down() throws IOException {
    listener.close();
    for (Socket socket : sockets) {
      socket.close();
    }
    sockets.clear();
  }

  /** Accepts connections again, on the same port. */
  public synchronized void up() throws IOException {
    listener = bind(port);
    accepting(listener);
  }

  @Override
  public void close() throws IOException {
    down();
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    return socket;
  }

  private void accepting(ServerSocket current) {
    daemon("db-proxy-accept", () -> {
      try {
        while (true) {
          Socket client = current.accept();
          Socket target;
          try {
            target = new Socket(targetHost, targetPort);
          } catch (IOException e) {
            client.close();
            continue;
          }
          synchronized (this) {
            // down() may have run between accept() and here: a connection it did not see must not live on.
            if (current.isClosed()) {
              client.close();
              target.close();
              continue;
            }
            sockets.add(client);
            sockets.add(target);
          }
          daemon("db-proxy-up", () -> pump(client, target));
          daemon("db-proxy-down", () -> pump(target, client));
        }
      } catch (IOException closed) {
        // down() closed the listener.
      }
    });
  }

  private static void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException cut) {
      // One side closed.
    } finally {
      try {
        from.close();
        to.close();
      } catch (IOException e) {
        // Already closed.
      }
    }
  }

  private static void daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }
}
