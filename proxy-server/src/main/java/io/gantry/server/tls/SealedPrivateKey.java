package io.gantry.server.tls;

import java.io.NotSerializableException;
import java.io.ObjectStreamException;
import java.security.PrivateKey;

/**
 * A private key whose secret never leaves the object, like a hardware token's: no encoding, not
 * serializable. Only gantry's own providers take one, so the JDK's pass it by.
 */
abstract class SealedPrivateKey implements PrivateKey {
  private static final long serialVersionUID = 1L;

  @Override
  public final String getFormat() {
    return null;
  }

  @Override
  public final byte[] getEncoded() {
    return null;
  }

  /** Refuses serialization, which would write the secret out. */
  protected final Object writeReplace() throws ObjectStreamException {
    throw new NotSerializableException(toString() + " is not serialized");
  }
}
