package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.UserResponse;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/** Realistic users: UUID ids, real-looking names and emails, second timestamps, etags as the server makes them. */
final class SampleData {

  private static final String[] FIRST = {"Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald",
      "Margaret", "Linus", "Radia", "Dennis", "Frances", "Ken", "Hedy", "John", "Sophie", "Tim", "Jean", "Guido",
      "Annie"};
  private static final String[] LAST = {"Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth",
      "Hamilton", "Torvalds", "Perlman", "Ritchie", "Allen", "Thompson", "Lamarr", "McCarthy", "Wilson",
      "Berners-Lee", "Bartik", "van Rossum", "Easley"};
  private static final String[] ROLES = {"viewer", "viewer", "editor", "admin"};

  private SampleData() {}

  static UserResponse user(int i) {
    Random random = new Random(i);
    String first = FIRST[i % FIRST.length];
    String last = LAST[(i * 7) % LAST.length];
    long created = 1_735_689_600L + random.nextInt(30_000_000);
    return UserResponse.newBuilder()
        .setId(new UUID(random.nextLong(), random.nextLong()).toString())
        .setEmail((first + "." + last).toLowerCase(java.util.Locale.ROOT).replace(' ', '-') + i + "@example.com")
        .setName(first + " " + last)
        .setRole(ROLES[random.nextInt(ROLES.length)])
        .setCreatedAt(created)
        .setUpdatedAt(created + random.nextInt(5_000_000))
        .setEtag("\"" + String.format("%016x", random.nextLong()) + "\"")
        .build();
  }

  static ListUsersResponse page(int size) {
    ListUsersResponse.Builder page = ListUsersResponse.newBuilder().setTotal(1234).setPage(3);
    for (int i = 0; i < size; i++) {
      page.addUsers(user(i + 1));
    }
    return page.build();
  }

  /** The same user as a plain Java record, for Jackson. */
  record UserJson(String id, String email, String name, String role, long createdAt, long updatedAt, String etag) {
    static UserJson of(UserResponse user) {
      return new UserJson(user.getId(), user.getEmail(), user.getName(), user.getRole(), user.getCreatedAt(),
          user.getUpdatedAt(), user.getEtag());
    }
  }

  /** The same page as a plain Java record, for Jackson. */
  record ListUsersJson(List<UserJson> users, int total, int page, String nextPageToken) {
    static ListUsersJson of(ListUsersResponse page) {
      return new ListUsersJson(page.getUsersList().stream().map(UserJson::of).toList(), page.getTotal(),
          page.getPage(), page.getNextPageToken());
    }
  }
}
