package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.service.UserServiceCore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link UserClientSettings}: defaults, checks, copies, and clients created from it. */
class UserClientSettingsTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void newBuilder_hasTheDocumentedDefaults() {
    UserClientSettings settings = UserClientSettings.newBuilder().setTarget("localhost:50051").build();

    Map<UserClient.Method, Duration> defaults = new EnumMap<>(UserClient.Method.class);
    for (UserClient.Method method : UserClient.Method.values()) {
      defaults.put(method, method.defaultTimeout());
    }
    assertThat(settings.target()).contains("localhost:50051");
    assertThat(settings.channelBuilder()).isEmpty();
    assertThat(settings.channel()).isEmpty();
    assertThat(settings.plaintext()).isFalse();
    assertThat(settings.timeouts()).isEqualTo(defaults);
    assertThat(settings.retrySettings()).isSameAs(RetrySettings.defaults());
    assertThat(settings.hedging()).isEmpty();
    assertThat(settings.automaticRequestIds()).isTrue();
    assertThat(settings.validateRequests()).isTrue();
    assertThat(settings.waitForReady()).isTrue();
    assertThat(settings.watchInitialBackoff()).isEqualTo(ClientSettingsBuilder.DEFAULT_WATCH_INITIAL_BACKOFF)
        .isEqualTo(UserClient.Builder.DEFAULT_WATCH_INITIAL_BACKOFF).isEqualTo(Duration.ofMillis(100));
    assertThat(settings.watchMaxBackoff()).isEqualTo(UserClient.Builder.DEFAULT_WATCH_MAX_BACKOFF)
        .isEqualTo(Duration.ofSeconds(5));
    assertThat(settings.callbackExecutor()).isEmpty();
    assertThat(settings.scheduler()).isEmpty();
  }

  @Test
  void build_checksTheSameAsTheClientBuilder() {
    assertThatThrownBy(() -> UserClientSettings.newBuilder().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("set exactly one of");
    assertThatThrownBy(() -> UserClient.newBuilder().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("set exactly one of");
    assertThatThrownBy(() -> UserClientSettings.newBuilder().setTarget("localhost:1").usePlaintext()
        .setTrustedCertificates(Path.of("ca.pem")).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("exclude each other");
    assertThatThrownBy(() -> UserClientSettings.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName("x")).setAuthorityOverride("users.internal").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("apply to setTarget() only");
  }

  @Test
  void toBuilder_copiesEverything_andChangesOnlyTheCopy() {
    UserClientSettings original = UserClientSettings.newBuilder().setTarget("localhost:50051").usePlaintext()
        .setTimeout(UserClient.Method.GET_USER, Duration.ofSeconds(1)).setAutomaticRequestIds(false)
        .setHedging(new HedgingSettings(2, Duration.ofMillis(50)))
        .setWatchBackoff(Duration.ofMillis(10), Duration.ofSeconds(1)).build();

    UserClientSettings changed = original.toBuilder().setTimeout(Duration.ofSeconds(3)).build();

    assertThat(original.timeouts()).containsEntry(UserClient.Method.GET_USER, Duration.ofSeconds(1))
        .containsEntry(UserClient.Method.LIST_USERS, Duration.ofSeconds(10));
    assertThat(changed.timeouts()).containsOnlyKeys(UserClient.Method.values()).allSatisfy(
        (method, timeout) -> assertThat(timeout).isEqualTo(Duration.ofSeconds(3)));
    assertThat(changed.target()).isEqualTo(original.target());
    assertThat(changed.plaintext()).isTrue();
    assertThat(changed.automaticRequestIds()).isFalse();
    assertThat(changed.hedging()).isEqualTo(original.hedging());
    assertThat(changed.watchInitialBackoff()).isEqualTo(Duration.ofMillis(10));
    assertThat(changed.watchMaxBackoff()).isEqualTo(Duration.ofSeconds(1));
    assertThatThrownBy(() -> original.timeouts().put(UserClient.Method.GET_USER, Duration.ZERO))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void toString_namesTheTokenWithoutAskingForIt() {
    UserClientSettings settings = UserClientSettings.newBuilder().setTarget("localhost:50051")
        .setBearerToken(() -> {
          throw new AssertionError("the token was asked for");
        }).build();

    assertThat(settings.toString()).contains("target=localhost:50051", "bearerToken");
  }

  @Test
  void create_buildsIndependentClientsFromTheSameSettings() throws Exception {
    String name = InProcessServerBuilder.generateName();
    UserServiceCore core = cleanup.register(UserServiceCore.newBuilder().setStore(new InMemoryUserStore()).build());
    cleanup.register(InProcessServerBuilder.forName(name).directExecutor().addService(core.userService())
        .build().start());
    UserClientSettings settings = UserClientSettings.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName(name).directExecutor())
        .setTimeout(UserClient.Method.GET_USER, Duration.ofSeconds(2))
        .build();

    UserClient first = cleanup.register(UserClient.create(settings));
    UserClient second = cleanup.register(UserClient.create(settings));
    UserResponse ada = first.createUser("ada@example.com", "Ada", "").join();
    first.close();

    assertThat(second.getUser(ada.getId()).join()).isEqualTo(ada);
    assertThat(second.timeouts()).isEqualTo(settings.timeouts());
    assertThatThrownBy(() -> first.getUser(ada.getId())).isInstanceOf(IllegalStateException.class);
  }
}
