package io.github.usergrpc.user.server;

import io.grpc.testing.TlsTesting;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * grpc-testing's throwaway certificates, written to a directory: a CA ({@code ca.pem}), a server certificate
 * it signed ({@code server1.pem}, {@code server1.key}; valid for {@code *.test.google.fr}, so clients connect
 * to 127.0.0.1 with {@link #AUTHORITY} as authority), a client certificate it signed ({@code client.pem},
 * {@code client.key}) and a self-signed client certificate ({@code badclient.pem}, {@code badclient.key}).
 */
final class TestCertificates {

  /** A name the server certificate is valid for. */
  static final String AUTHORITY = "users.test.google.fr";

  private final Path dir;

  TestCertificates(Path dir) {
    this.dir = dir;
    for (String name : new String[] {"ca.pem", "server1.pem", "server1.key", "client.pem", "client.key",
        "badclient.pem", "badclient.key"}) {
      try (InputStream in = TlsTesting.loadCert(name)) {
        Files.copy(in, dir.resolve(name));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Returns the file of one certificate or key, such as {@code ca.pem}. */
  Path file(String name) {
    return dir.resolve(name);
  }
}
