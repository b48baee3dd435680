package io.gantry.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EcdsaSigningTest {
  private static final byte[] MESSAGE = "TLS 1.3, server CertificateVerify".getBytes(StandardCharsets.US_ASCII);

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"secp256r1", "secp384r1", "secp521r1"})
  void signaturesOnEachCurveVerifyWithTheJdkForEveryDigest(String curve) throws Exception {
    KeyPair keys = ecKeys(curve);
    PrivateKey signing = EcdsaSigning.signingKey(keys.getPrivate());
    assertInstanceOf(EcdsaSigning.SigningKey.class, signing);

    for (String algorithm : new String[] {"SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA", "SHA224withECDSA", "SHA1withECDSA"}) {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(signing);
      signer.update(MESSAGE);
      byte[] signature = signer.sign();
      assertEquals("GantryEcdsaSigning", signer.getProvider().getName(), algorithm);

      assertTrue(verify(algorithm, keys, MESSAGE, signature), algorithm + " on " + curve);
      byte[] other = MESSAGE.clone();
      other[0] ^= 1;
      assertFalse(verify(algorithm, keys, other, signature), "a changed message must not verify");
    }
  }

  @Test
  void noncesAreDeterministicPerMessage() throws Exception {
    KeyPair keys = ecKeys("secp256r1");
    PrivateKey signing = EcdsaSigning.signingKey(keys.getPrivate());
    String first = HexFormat.of().formatHex(sign(signing, MESSAGE));
    // RFC 6979: the nonce comes from the key and the message, so a repeat is the same signature
    // and two messages never share a nonce (r, which the nonce alone decides, differs).
    assertEquals(first, HexFormat.of().formatHex(sign(signing, MESSAGE)));
    String other = HexFormat.of().formatHex(sign(signing, "another handshake".getBytes(StandardCharsets.US_ASCII)));
    assertNotEquals(first.substring(8, 40), other.substring(8, 40));
  }

  @Test
  void everyOtherKeyStaysWithTheJdk() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    PrivateKey rsaKey = rsa.generateKeyPair().getPrivate();
    assertSame(rsaKey, EcdsaSigning.signingKey(rsaKey));
    PrivateKey ed25519 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate();
    assertSame(ed25519, EcdsaSigning.signingKey(ed25519));

    // The provider is in the JVM's list, but an ordinary EC key is still the JDK's to sign.
    EcdsaSigning.signingKey(ecKeys("secp256r1").getPrivate());
    Signature jdk = Signature.getInstance("SHA256withECDSA");
    jdk.initSign(ecKeys("secp256r1").getPrivate());
    assertEquals("SunEC", jdk.getProvider().getName());
  }

  @Test
  void theSigningKeyNeitherVerifiesNorLeavesTheProcess() throws Exception {
    KeyPair keys = ecKeys("secp256r1");
    PrivateKey signing = EcdsaSigning.signingKey(keys.getPrivate());
    assertEquals("EC", signing.getAlgorithm());
    assertEquals(null, signing.getEncoded());
    assertThrows(NotSerializableException.class,
        () -> new ObjectOutputStream(OutputStream.nullOutputStream()).writeObject(signing));
    Signature verifier = Signature.getInstance("SHA256withECDSA", Security.getProvider("GantryEcdsaSigning"));
    assertThrows(InvalidKeyException.class, () -> verifier.initVerify(keys.getPublic()));
  }

  static KeyPair ecKeys(String curve) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec(curve));
    return generator.generateKeyPair();
  }

  private static byte[] sign(PrivateKey key, byte[] message) throws Exception {
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(key);
    signer.update(message);
    return signer.sign();
  }

  private static boolean verify(String algorithm, KeyPair keys, byte[] message, byte[] signature) throws Exception {
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(keys.getPublic());
    verifier.update(message);
    return verifier.verify(signature);
  }
}
