package io.gantry.server.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Security;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** BouncyCastle's X25519 through the JCA, checked against RFC 7748 and against the JDK's own. */
class X25519KeyExchangeTest {
  private static final HexFormat HEX = HexFormat.of();

  @BeforeAll
  static void install() {
    assertEquals(java.util.Optional.empty(), X25519KeyExchange.install());
    assertEquals("GantryX25519", Security.getProviders()[0].getName(), "first in the JVM's list");
  }

  @Test
  void rfc7748VectorsThroughTheJca() throws Exception {
    // RFC 7748 6.1: Alice's key pair and the secret she shares with Bob.
    X25519KeyExchange.X25519PrivateKey alice = new X25519KeyExchange.X25519PrivateKey(
        HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    KeyAgreement agreement = KeyAgreement.getInstance("XDH");
    agreement.init(alice);
    agreement.doPhase(jdkPublicKey("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), true);
    assertEquals("GantryX25519", agreement.getProvider().getName());
    assertEquals("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
        HEX.formatHex(agreement.generateSecret("TlsPremasterSecret").getEncoded()));
  }

  @Test
  void keysAgreeWithTheJdksX25519BothWays() throws Exception {
    KeyPairGenerator ours = KeyPairGenerator.getInstance("XDH");
    ours.initialize(NamedParameterSpec.X25519);
    KeyPair gantry = ours.generateKeyPair();
    assertInstanceOf(X25519KeyExchange.X25519PrivateKey.class, gantry.getPrivate());
    assertNull(gantry.getPrivate().getEncoded(), "the scalar never leaves the key");

    KeyPairGenerator jdkGenerator = KeyPairGenerator.getInstance("XDH", "SunEC");
    jdkGenerator.initialize(NamedParameterSpec.X25519);
    KeyPair jdk = jdkGenerator.generateKeyPair();

    KeyAgreement mine = KeyAgreement.getInstance("XDH");
    mine.init(gantry.getPrivate());
    mine.doPhase(jdk.getPublic(), true);
    KeyAgreement theirs = KeyAgreement.getInstance("XDH", "SunEC");
    theirs.init(jdk.getPrivate());
    // The JDK reads gantry's public key both as the interface (getU) and from its X.509 encoding.
    theirs.doPhase(gantry.getPublic(), true);
    byte[] secret = mine.generateSecret();
    assertArrayEquals(theirs.generateSecret(), secret);
    PublicKey decoded = KeyFactory.getInstance("XDH", "SunEC").generatePublic(new X509EncodedKeySpec(gantry.getPublic().getEncoded()));
    assertEquals(((XECPublicKey) gantry.getPublic()).getU(), ((XECPublicKey) decoded).getU());
  }

  @Test
  void x448AndTheJdksOwnKeysStayWithTheJdk() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("XDH");
    generator.initialize(NamedParameterSpec.X448);
    KeyPair x448 = generator.generateKeyPair();
    assertInstanceOf(XECPrivateKey.class, x448.getPrivate());
    assertEquals(NamedParameterSpec.X448.getName(), ((NamedParameterSpec) ((XECPrivateKey) x448.getPrivate()).getParams()).getName());

    KeyAgreement agreement = KeyAgreement.getInstance("XDH");
    agreement.init(x448.getPrivate());
    agreement.doPhase(x448.getPublic(), true);
    assertEquals("SunEC", agreement.getProvider().getName());
  }

  @Test
  void smallOrderPeerPointsAreRefused() throws Exception {
    KeyPair gantry = KeyPairGenerator.getInstance("XDH").generateKeyPair();
    KeyAgreement agreement = KeyAgreement.getInstance("XDH");
    agreement.init(gantry.getPrivate());
    // u = 0 and u = 1 have small order: the shared secret would be all zeros (RFC 7748 6.1).
    for (String u : new String[] {"0", "1"}) {
      XECPublicKey lowOrder = new XECPublicKey() {
        @Override public BigInteger getU() { return new BigInteger(u); }
        @Override public NamedParameterSpec getParams() { return NamedParameterSpec.X25519; }
        @Override public String getAlgorithm() { return "XDH"; }
        @Override public String getFormat() { return null; }
        @Override public byte[] getEncoded() { return null; }
      };
      InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> agreement.doPhase(lowOrder, true));
      assertTrue(e.getMessage().contains("small order"), e.getMessage());
    }
  }

  private static PublicKey jdkPublicKey(String littleEndianHex) throws Exception {
    byte[] le = HEX.parseHex(littleEndianHex);
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    return KeyFactory.getInstance("XDH", "SunEC").generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be)));
  }
}
