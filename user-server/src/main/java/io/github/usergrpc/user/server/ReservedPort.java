package io.github.usergrpc.user.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import javax.annotation.Nullable;

/**
 * A port the server has bound before it opens the store, so that a port in use fails at once (opening a
 * store can take seconds) and nothing else can take the port meanwhile. The listener that serves the port
 * is built only after the store is open; {@link #release()} hands the port over to it right before it
 * binds. Port 0 is not reserved: it cannot be in use, and the listener picks a free port itself.
 */
final class ReservedPort implements AutoCloseable {

  @Nullable private final ServerSocket socket;
  private final int port;
  private final String option;

  private ReservedPort(@Nullable ServerSocket socket, int port, String option) {
    this.socket = socket;
    this.port = port;
    this.option = option;
  }

  /**
   * Binds the wildcard address on {@code port}, as the listeners do.
   *
   * @param port the port, or 0 for one the listener picks
   * @param option the option that names the port, for the message
   * @return the reservation
   * @throws StartupFailure if the port cannot be bound, for instance because it is in use
   */
  static ReservedPort bind(int port, String option) throws StartupFailure {
    if (port == 0) {
      return new ReservedPort(null, 0, option);
    }
    ServerSocket socket = null;
    try {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(port));
      return new ReservedPort(socket, port, option);
    } catch (IOException e) {
      closeQuietly(socket);
      throw StartupFailure.listen(port, option, e);
    }
  }

  /** Returns the port; 0 for one the listener picks. */
  int port() {
    return port;
  }

  /** Returns the option that names the port. */
  String option() {
    return option;
  }

  /** Frees the port for its listener, which binds it next. Idempotent. */
  void release() {
    closeQuietly(socket);
  }

  @Override
  public void close() {
    release();
  }

  private static void closeQuietly(@Nullable ServerSocket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // Nothing was accepted on it; nothing is lost.
      }
    }
  }
}
