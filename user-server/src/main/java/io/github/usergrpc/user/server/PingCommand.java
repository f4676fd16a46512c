package io.github.usergrpc.user.server;

import io.github.usergrpc.user.api.Headers;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code user-server ping}: checks a running server from the command line, with nothing but the JDK, so that
 * a newcomer need not install grpcurl. Asks the health service, lists one user and, with {@code --write},
 * creates, reads, records activity for and deletes a throwaway user. Prints one line per step; exits 0 when
 * every step passes, 1 on the first failure, 2 on bad usage.
 */
final class PingCommand {

  static final String USAGE = "usage: java -jar user-server.jar ping [--target localhost:50051] [--tls-ca ca.pem]"
      + " [--token-file file] [--write]";
  private static final long DEADLINE_SECONDS = 5;

  private final String target;
  private final ChannelCredentials credentials;
  private final Metadata headers;
  private final boolean write;
  private final PrintStream out;

  private PingCommand(String target, ChannelCredentials credentials, Metadata headers, boolean write,
      PrintStream out) {
    this.target = target;
    this.credentials = credentials;
    this.headers = headers;
    this.write = write;
    this.out = out;
  }

  /**
   * Parses the arguments after {@code ping}.
   *
   * @throws IllegalArgumentException for bad usage, with a message for the user
   * @throws IOException when a named file cannot be read
   */
  static PingCommand parse(List<String> args, PrintStream out) throws IOException {
    String target = "localhost:50051";
    ChannelCredentials credentials = InsecureChannelCredentials.create();
    Metadata headers = new Metadata();
    boolean write = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--write")) {
        write = true;
        continue;
      }
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException(arg.startsWith("--") ? arg + " needs a value" : "unexpected " + arg);
      }
      String value = args.get(++i);
      switch (arg) {
        case "--target" -> target = value;
        case "--tls-ca" -> credentials = TlsChannelCredentials.newBuilder().trustManager(Path.of(value).toFile())
            .build();
        case "--token-file" -> headers.put(Headers.AUTHORIZATION_KEY,
            "Bearer " + Files.readString(Path.of(value), StandardCharsets.UTF_8).strip());
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    return new PingCommand(target, credentials, headers, write, out);
  }

  /** Runs the checks; returns the exit code. */
  int run() throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilder(target, credentials).build();
    String step = "health";
    try {
      long start = System.nanoTime();
      ServingStatus health = HealthGrpc.newBlockingStub(channel).withInterceptors(attach())
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(UserServiceGrpc.SERVICE_NAME).build()).getStatus();
      ok(step, health.name(), start);
      if (health != ServingStatus.SERVING) {
        return 1;
      }
      UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel)
          .withInterceptors(attach());
      step = "ListUsers";
      start = System.nanoTime();
      ListUsersResponse page = deadline(users).listUsers(ListUsersRequest.newBuilder().setLimit(1).build());
      ok(step, page.getTotal() + " users", start);
      if (write) {
        step = "CreateUser";
        start = System.nanoTime();
        UserResponse created = deadline(users).createUser(CreateUserRequest.newBuilder()
            .setEmail("ping-" + UUID.randomUUID() + "@example.com").setName("user-server ping")
            .setRequestId(UUID.randomUUID().toString()).build());
        ok(step, "id " + created.getId(), start);
        step = "GetUser";
        start = System.nanoTime();
        deadline(users).getUser(GetUserRequest.newBuilder().setId(created.getId()).build());
        ok(step, "same user", start);
        step = "RecordActivity";
        start = System.nanoTime();
        long sequence = deadline(users).recordActivity(RecordActivityRequest.newBuilder()
            .setUserId(created.getId()).setAction("ping").build()).getEvent().getSequence();
        ok(step, "sequence " + sequence, start);
        step = "DeleteUser";
        start = System.nanoTime();
        deadline(users).deleteUser(DeleteUserRequest.newBuilder().setId(created.getId())
            .setEtag(created.getEtag()).build());
        ok(step, "deleted", start);
      }
      out.println("user-server ping: " + target + " is up");
      return 0;
    } catch (StatusRuntimeException e) {
      out.println("FAIL " + step + ": " + e.getStatus().getCode()
          + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription()));
      return 1;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private io.grpc.ClientInterceptor attach() {
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  private static UserServiceGrpc.UserServiceBlockingStub deadline(UserServiceGrpc.UserServiceBlockingStub users) {
    return users.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  private void ok(String step, String result, long startNanos) {
    out.println(String.format(Locale.ROOT, "ok   %-15s %s (%.1f ms)", step, result,
        (System.nanoTime() - startNanos) / 1e6));
  }
}
