package io.github.usergrpc.user.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The extension's lifecycle, checked by running small test classes (the nested fixtures below, which
 * Surefire does not run by themselves) on the JUnit engine and looking at what they saw.
 */
class FakeUserServiceExtensionTest {

  /** The fakes the fixtures saw, test by test. */
  static final List<FakeUserService> seen = new CopyOnWriteArrayList<>();
  /** Whether {@link #run} runs a fixture; fixtures selected by other means (such as -Dtest) are skipped. */
  private static volatile boolean runningFixture;

  @ParameterizedTest
  @ValueSource(classes = {PerTestOnStaticField.class, PerTestOnInstanceField.class, PerClassOnInstanceField.class})
  void extension_eachTestAlone_getsAFreshFakeThatIsClosedAfterIt(Class<?> fixture) {
    EngineExecutionResults results = run(fixture);

    results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(2));
    assertThat(seen).hasSize(2).doesNotHaveDuplicates().allMatch(FakeUserService::isClosed);
  }

  /** {@link PerClass} also checks that faults and recorded calls are reset between its tests. */
  @ParameterizedTest
  @ValueSource(classes = {PerClass.class, PerClassWithNested.class})
  void perClass_sharesOneFakeAmongTheTestsOfTheClass_andClosesItAfterTheClass(Class<?> fixture) {
    EngineExecutionResults results = run(fixture);

    results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(2));
    assertThat(seen).hasSize(2);
    assertThat(seen.get(1)).isSameAs(seen.get(0));
    assertThat(seen.get(0).isClosed()).isTrue();
  }

  @Test
  void failedTest_publishesTheCallsTheFakeReceived_andPassingTestsPublishNothing() {
    EngineExecutionResults results = run(OneFailingTest.class);

    results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(1).failed(1));
    List<Map<String, String>> entries = results.allEvents().reportingEntryPublished().stream()
        .map(event -> event.getPayload(ReportEntry.class).orElseThrow().getKeyValuePairs())
        .toList();
    assertThat(entries).singleElement().satisfies(entry ->
        assertThat(entry.get("FakeUserService")).contains("requests=1", "ListUsers{", "OK"));
    assertThat(seen).allMatch(FakeUserService::isClosed);
  }

  @Test
  void accessors_outsideATest_throwIllegalState() {
    FakeUserServiceExtension extension = new FakeUserServiceExtension();

    assertThatThrownBy(extension::fake).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("@RegisterExtension");
    assertThatThrownBy(extension::client).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(extension::channel).isInstanceOf(IllegalStateException.class);
  }

  private static EngineExecutionResults run(Class<?> fixture) {
    seen.clear();
    EngineExecutionResults results;
    runningFixture = true;
    try {
      results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture)).execute();
    } finally {
      runningFixture = false;
    }
    List<Event> failures = results.containerEvents().failed().list();
    assertThat(failures).as("container failures").isEmpty();
    return results;
  }

  static boolean runningFixture() {
    return runningFixture;
  }

  /**
   * Two tests that each create a user and check it is the only one: a fake that kept the user of the other
   * test fails them.
   */
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  abstract static class EachTestAlone {
    abstract FakeUserServiceExtension users();

    @Test
    @Order(1)
    void first() {
      useAsTheOnlyTest();
    }

    @Test
    @Order(2)
    void second() {
      useAsTheOnlyTest();
    }

    private void useAsTheOnlyTest() {
      seen.add(users().fake());
      users().fake().givenUser();
      assertThat(users().client().listAllUsers()).hasSize(1);
    }
  }

  @EnabledIf("io.github.usergrpc.user.testkit.FakeUserServiceExtensionTest#runningFixture")
  static class PerTestOnStaticField extends EachTestAlone {
    @RegisterExtension
    static final FakeUserServiceExtension users = new FakeUserServiceExtension();

    @Override
    FakeUserServiceExtension users() {
      return users;
    }
  }

  @EnabledIf("io.github.usergrpc.user.testkit.FakeUserServiceExtensionTest#runningFixture")
  static class PerTestOnInstanceField extends EachTestAlone {
    @RegisterExtension
    final FakeUserServiceExtension users = new FakeUserServiceExtension();

    @Override
    FakeUserServiceExtension users() {
      return users;
    }
  }

  @EnabledIf("io.github.usergrpc.user.testkit.FakeUserServiceExtensionTest#runningFixture")
  static class PerClassOnInstanceField extends EachTestAlone {
    @RegisterExtension
    final FakeUserServiceExtension users = FakeUserServiceExtension.perClass();

    @Override
    FakeUserServiceExtension users() {
      return users;
    }
  }

  @EnabledIf("io.github.usergrpc.user.testkit.FakeUserServiceExtensionTest#runningFixture")
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class PerClass {
    @RegisterExtension
    static final FakeUserServiceExtension users = FakeUserServiceExtension.perClass();

    @Test
    @Order(1)
    void first() {
      seen.add(users.fake());
      users.fake().givenUser();
      users.fake().failNext(UserServiceGrpc.getGetUserMethod(), 5, Status.INTERNAL);
      UserServiceGrpc.newBlockingStub(users.channel()).listUsers(ListUsersRequest.getDefaultInstance());
      assertThat(users.fake().allRequests()).hasSize(1);
    }

    @Test
    @Order(2)
    void second() {
      seen.add(users.fake());
      assertThat(users.fake().allRequests()).as("calls recorded in the first test").isEmpty();
      List<UserResponse> kept = users.client().listAllUsers().toList();
      assertThat(kept).as("the user of the first test").hasSize(1);
      assertThat(users.client().getUser(kept.get(0).getId()).join()).as("no fault left").isEqualTo(kept.get(0));
    }
  }

  @EnabledIf("io.github.usergrpc.user.testkit.FakeUserServiceExtensionTest#runningFixture")
  static class PerClassWithNested {
    @RegisterExtension
    static final FakeUserServiceExtension users = FakeUserServiceExtension.perClass();

    @Test
    void outer() {
      seen.add(users.fake());
    }

    @Nested
    class Inner {
      @Test
      void inner() {
        seen.add(users.fake());
      }
    }
  }

  @EnabledIf("io.github.usergrpc.user.testkit.FakeUserServiceExtensionTest#runningFixture")
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class OneFailingTest {
    @RegisterExtension
    final FakeUserServiceExtension users = new FakeUserServiceExtension();

    @Test
    @Order(1)
    void passing() {
      seen.add(users.fake());
      UserServiceGrpc.newBlockingStub(users.channel()).getUser(GetUserRequest.newBuilder()
          .setId(users.fake().givenUser().getId()).build());
    }

    @Test
    @Order(2)
    void failing() {
      seen.add(users.fake());
      UserServiceGrpc.newBlockingStub(users.channel()).listUsers(ListUsersRequest.getDefaultInstance());
      assertThat(users.fake().requestCount(UserServiceGrpc.getListUsersMethod())).isEqualTo(2);
    }
  }
}
