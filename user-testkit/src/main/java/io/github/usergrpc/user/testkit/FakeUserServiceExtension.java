package io.github.usergrpc.user.testkit;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.client.UserClient;
import io.grpc.ManagedChannel;
import javax.annotation.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a {@link FakeUserService} for JUnit 5 tests. Register it as a field; nothing is injected anywhere:
 *
 * <pre>{@code
 * class GreeterTest {
 *   @RegisterExtension
 *   final FakeUserServiceExtension users = new FakeUserServiceExtension();
 *
 *   @Test
 *   void greet_knownUser_usesTheName() {
 *     UserResponse ada = users.fake().givenUser(u -> u.setName("Ada"));
 *
 *     assertThat(new Greeter(users.client()).greet(ada.getId())).isEqualTo("Hello, Ada");
 *   }
 * }
 * }</pre>
 *
 * <p>By default every test gets a fresh, empty fake, started before the test and closed after it, whether
 * the field is static or not. {@link #perClass()} shares one fake among the tests of a class (the field must
 * be static): it keeps its users across tests, but its faults and recorded calls are {@link
 * FakeUserService#reset() reset} after each test.
 *
 * <p>When a test fails, the calls the fake received are published as a report entry
 * ({@code FakeUserService}) to help find out why. Not for tests of one class that run concurrently with one
 * shared field.
 */
public final class FakeUserServiceExtension
    implements BeforeAllCallback, BeforeEachCallback, AfterTestExecutionCallback, AfterEachCallback,
    AfterAllCallback {

  private final FakeUserService.Builder builder;
  private final boolean perClass;

  @Nullable
  private volatile FakeUserService fake;
  /** The unique id of the class whose beforeAll started a shared fake; null otherwise. */
  @Nullable
  private String sharedBy;

  /** Creates an extension that runs a fresh fake with the defaults for every test. */
  public FakeUserServiceExtension() {
    this(FakeUserService.newBuilder());
  }

  /**
   * Creates an extension that runs a fresh fake for every test, built by {@code builder}.
   *
   * @param builder builds the fakes; the extension keeps it, so do not change it afterwards
   */
  public FakeUserServiceExtension(FakeUserService.Builder builder) {
    this(builder, false);
  }

  private FakeUserServiceExtension(FakeUserService.Builder builder, boolean perClass) {
    this.builder = requireNonNull(builder, "builder");
    this.perClass = perClass;
  }

  /**
   * Returns an extension that shares one fake with the defaults among the tests of a class. Register it on a
   * static field (on an instance field it falls back to a fake per test).
   */
  public static FakeUserServiceExtension perClass() {
    return perClass(FakeUserService.newBuilder());
  }

  /**
   * Returns an extension that shares one fake, built by {@code builder}, among the tests of a class.
   *
   * @param builder builds the fake; the extension keeps it, so do not change it afterwards
   * @return the extension
   */
  public static FakeUserServiceExtension perClass(FakeUserService.Builder builder) {
    return new FakeUserServiceExtension(builder, true);
  }

  /**
   * Returns the running fake.
   *
   * @throws IllegalStateException outside a test of a class that registers this extension
   */
  public FakeUserService fake() {
    FakeUserService current = fake;
    if (current == null) {
      throw new IllegalStateException("no FakeUserService is running: use it from a test (or a @BeforeEach)"
          + " of a class that registers this extension with @RegisterExtension");
    }
    return current;
  }

  /** Returns the running fake's {@link FakeUserService#channel() channel}. */
  public ManagedChannel channel() {
    return fake().channel();
  }

  /** Returns the running fake's {@link FakeUserService#client() client}. */
  public UserClient client() {
    return fake().client();
  }

  /** Returns the running fake's {@link FakeUserService#calls() record of calls}. */
  public RecordedCalls calls() {
    return fake().calls();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (perClass && fake == null) {
      fake = builder.build().start();
      sharedBy = context.getUniqueId();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (sharedBy == null) {
      fake = builder.build().start();
    }
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    FakeUserService current = fake;
    if (context.getExecutionException().isPresent() && current != null) {
      context.publishReportEntry("FakeUserService", current.toString());
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    FakeUserService current = fake;
    if (current == null) {
      return;
    }
    if (sharedBy != null) {
      current.reset();
    } else {
      fake = null;
      current.close();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    FakeUserService current = fake;
    if (current != null && context.getUniqueId().equals(sharedBy)) {
      fake = null;
      sharedBy = null;
      current.close();
    }
  }
}
