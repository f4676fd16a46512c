package io.github.usergrpc.user.service.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.store.PageCursor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PageTokensTest {

  private final PageTokens tokens = new PageTokens(new byte[32]);
  private final PageCursor cursor = new PageCursor(1_700_000_000_123L, "7c9e6679-7425-40de-944b-e07fc1f90ae7");

  @Test
  void decode_ofEncode_returnsTheCursor() {
    String token = tokens.encode(Optional.of("admin"), cursor);

    assertThat(tokens.decode(token, Optional.of("admin"))).isEqualTo(cursor);
    assertThat(token).matches("[A-Za-z0-9_-]+");
  }

  @Test
  void encode_isOpaque_andDifferentEveryTime() {
    String token = tokens.encode(Optional.empty(), cursor);

    assertThat(token).doesNotContain("7c9e6679").isNotEqualTo(tokens.encode(Optional.empty(), cursor));
    assertThat(new String(java.util.Base64.getUrlDecoder().decode(token), java.nio.charset.StandardCharsets.ISO_8859_1))
        .doesNotContain("7c9e6679");
  }

  @Test
  void decode_everySingleByteChange_isRejected() {
    byte[] token = java.util.Base64.getUrlDecoder().decode(tokens.encode(Optional.empty(), cursor));
    for (int i = 0; i < token.length; i++) {
      byte[] changed = token.clone();
      changed[i] ^= 1;
      String tampered = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(changed);

      assertThatThrownBy(() -> tokens.decode(tampered, Optional.empty()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
  }

  @Test
  void decode_otherRoleFilterOrOtherKey_isRejected() {
    String token = tokens.encode(Optional.of("admin"), cursor);
    byte[] otherKey = new byte[32];
    otherKey[0] = 1;

    assertThatThrownBy(() -> tokens.decode(token, Optional.empty())).hasMessageContaining("role_filter");
    assertThatThrownBy(() -> new PageTokens(otherKey).decode(token, Optional.of("admin")))
        .hasMessageContaining("not a token this service issued");
  }

  /** Found by MalformedInputPropertiesTest: a token shorter than nonce plus tag made the JDK throw. */
  @Test
  void decode_tokenOfAnyShortLength_isRejectedAsInvalid() {
    for (int length = 0; length <= 40; length++) {
      String shortToken = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[length]);

      assertThatThrownBy(() -> tokens.decode(shortToken, Optional.empty())).as("%d bytes", length)
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
  }

  @Test
  void decode_garbage_isRejected() {
    for (String garbage : new String[] {"", "%%%", "AAAA", "a".repeat(1000)}) {
      assertThatThrownBy(() -> tokens.decode(garbage, Optional.empty()))
          .isInstanceOf(StatusRuntimeException.class);
    }
  }
}
