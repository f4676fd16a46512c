package io.github.usergrpc.user.server.activity.jetstream;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes sure the activity stream exists as the settings describe it, at start-up.
 *
 * <p>Absent: it is created. Present with other limits (replicas, max age, per-user limit, duplicate window):
 * they are updated, which JetStream does in place without losing messages. Present with another storage
 * type, retention or discard policy, or other subjects: start-up fails, since changing those loses or
 * reroutes messages (storage and retention cannot be changed at all), with one line saying what differs and
 * what to do. After creating or updating, the configuration the server returns is compared again: a server
 * that silently ignores an option (as 2.9 does with 2.10+ ones) fails start-up instead of running with
 * limits other than configured.
 */
final class ActivityStreamSetup {

  /** JetStream's "stream not found" error code. */
  static final int STREAM_NOT_FOUND = 10059;

  private ActivityStreamSetup() {}

  /** Creates or updates the stream; returns its info. */
  static StreamInfo ensure(JetStreamManagement jsm, JetStreamActivitySettings settings, ActivitySubjects subjects)
      throws IOException, JetStreamApiException {
    StreamConfiguration wanted = StreamConfiguration.builder()
        .name(settings.streamName())
        .subjects(subjects.all())
        .storageType(StorageType.File)
        .retentionPolicy(RetentionPolicy.Limits)
        .discardPolicy(DiscardPolicy.Old)
        .replicas(settings.replicas())
        .maxAge(settings.maxAge())
        .maxMessagesPerSubject(settings.maxMessagesPerSubject() == 0 ? -1 : settings.maxMessagesPerSubject())
        .duplicateWindow(settings.duplicateWindow())
        .build();
    StreamInfo existing;
    try {
      existing = jsm.getStreamInfo(settings.streamName());
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
        throw e;
      }
      return verify(create(jsm, wanted, settings), settings, subjects, "created");
    }
    List<String> fixed = fixedDifferences(existing.getConfiguration(), subjects);
    if (!fixed.isEmpty()) {
      throw new ActivityStreamSetupException("the JetStream stream " + settings.streamName() + " exists with "
          + String.join(", ", fixed) + ", which cannot be changed in place; delete the stream (nats stream rm "
          + settings.streamName() + ", losing its events) or configure another stream name");
    }
    if (limitDifferences(existing.getConfiguration(), settings).isEmpty()) {
      return existing;
    }
    StreamInfo updated;
    try {
      updated = jsm.updateStream(wanted);
    } catch (JetStreamApiException e) {
      throw new ActivityStreamSetupException("cannot update the JetStream stream " + settings.streamName() + " to "
          + String.join(", ", limitDifferences(existing.getConfiguration(), settings)) + ": "
          + e.getErrorDescription() + "; change the settings back or update the stream by hand", e);
    }
    return verify(updated, settings, subjects, "updated");
  }

  private static StreamInfo create(JetStreamManagement jsm, StreamConfiguration wanted,
      JetStreamActivitySettings settings) throws IOException {
    try {
      return jsm.addStream(wanted);
    } catch (JetStreamApiException e) {
      throw new ActivityStreamSetupException("cannot create the JetStream stream " + settings.streamName() + " ("
          + settings.replicas() + " replicas): " + e.getErrorDescription()
          + (settings.replicas() > 1 ? "; replicas > 1 need a JetStream cluster of at least that many nodes" : "")
          + "; fix the NATS server or the activity settings", e);
    }
  }

  private static StreamInfo verify(StreamInfo info, JetStreamActivitySettings settings, ActivitySubjects subjects,
      String what) {
    List<String> differences = new ArrayList<>(fixedDifferences(info.getConfiguration(), subjects));
    differences.addAll(limitDifferences(info.getConfiguration(), settings));
    if (!differences.isEmpty()) {
      throw new ActivityStreamSetupException("the NATS server " + what + " the JetStream stream "
          + settings.streamName() + " but reports " + String.join(", ", differences)
          + "; it ignored an option, upgrade the NATS server");
    }
    return info;
  }

  /** What differs that cannot be changed in place, worded as what the stream has. */
  private static List<String> fixedDifferences(StreamConfiguration has, ActivitySubjects subjects) {
    List<String> differences = new ArrayList<>();
    if (!has.getSubjects().equals(List.of(subjects.all()))) {
      differences.add("subjects " + has.getSubjects() + " (configured: [" + subjects.all() + "])");
    }
    if (has.getStorageType() != StorageType.File) {
      differences.add("storage " + has.getStorageType() + " (configured: file)");
    }
    if (has.getRetentionPolicy() != RetentionPolicy.Limits) {
      differences.add("retention " + has.getRetentionPolicy() + " (configured: limits)");
    }
    if (has.getDiscardPolicy() != DiscardPolicy.Old) {
      differences.add("discard " + has.getDiscardPolicy() + " (configured: old)");
    }
    return differences;
  }

  /** What differs that an update changes in place. */
  private static List<String> limitDifferences(StreamConfiguration has, JetStreamActivitySettings settings) {
    List<String> differences = new ArrayList<>();
    if (has.getReplicas() != settings.replicas()) {
      differences.add("replicas " + has.getReplicas() + " (configured: " + settings.replicas() + ")");
    }
    if (!has.getMaxAge().equals(settings.maxAge())) {
      differences.add("max age " + has.getMaxAge() + " (configured: " + settings.maxAge() + ")");
    }
    long perSubject = has.getMaxMsgsPerSubject() <= 0 ? 0 : has.getMaxMsgsPerSubject();
    if (perSubject != settings.maxMessagesPerSubject()) {
      differences.add("max messages per user " + perSubject + " (configured: " + settings.maxMessagesPerSubject()
          + ")");
    }
    if (!has.getDuplicateWindow().equals(settings.duplicateWindow())) {
      differences.add("duplicate window " + has.getDuplicateWindow() + " (configured: "
          + settings.duplicateWindow() + ")");
    }
    return differences;
  }
}
