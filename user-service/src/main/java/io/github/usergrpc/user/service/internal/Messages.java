package io.github.usergrpc.user.service.internal;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.UserResponse;

/** Converts stored values to the messages of the contract, whose times are whole seconds. */
final class Messages {

  private Messages() {}

  static UserResponse toProto(User user) {
    return UserResponse.newBuilder()
        .setId(user.id())
        .setEmail(user.email())
        .setName(user.name())
        .setRole(user.role())
        .setCreatedAt(seconds(user.createdAtMillis()))
        .setUpdatedAt(seconds(user.updatedAtMillis()))
        .setEtag(user.etag())
        .build();
  }

  static ActivityEvent toProto(ActivityRecord event) {
    return ActivityEvent.newBuilder()
        .setUserId(event.userId())
        .setAction(event.action())
        .setDetails(event.details())
        .setTimestamp(seconds(event.occurredAtMillis()))
        .setSequence(event.sequence())
        .build();
  }

  private static long seconds(long millis) {
    return Math.floorDiv(millis, 1000L);
  }
}
