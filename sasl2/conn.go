package sasl2

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"slices"
)

// Channel-binding types (RFC 5929, RFC 9266), as named in GS2 headers and in
// XEP-0440.
const (
	TLSExporter       = "tls-exporter"
	TLSServerEndPoint = "tls-server-end-point"
	TLSUnique         = "tls-unique"
)

// ChannelBinding is one channel-binding type with its data for this
// connection. Data is secret to the connection.
type ChannelBinding struct {
	Type string
	Data []byte
}

// Conn describes the stream one negotiation runs on. The host fills it
// before creating a Server or Client; the state machine fills Advertised,
// AdvertisedBindings and Inline. It is not safe for concurrent use.
type Conn struct {
	// Domain is the server's domain, the stream's 'to' on the server.
	Domain string
	// From is the bare JID from the client's stream header, or "".
	From string
	// TLS is the connection's TLS state, or nil on a stream that is not
	// encrypted.
	TLS *tls.ConnectionState
	// Bindings lists the channel bindings this connection supports,
	// strongest first; see Bindings.
	Bindings []ChannelBinding

	// Advertised lists the mechanisms of the <authentication> feature on
	// this stream: sent by the server, received by the client.
	Advertised []string
	// AdvertisedBindings lists the XEP-0440 types sent or received, or nil
	// when no <sasl-channel-binding> was part of the features.
	AdvertisedBindings []string
	// Inline lists the mechanisms offered inside an inline feature instead
	// of <authentication>, such as the HT mechanisms in FAST's <fast>
	// (XEP-0484 §3). The state machines fill it from the extensions that
	// implement InlineMechanisms (server) or ClientInlineMechanisms
	// (client). These names are never in Advertised, so they take no part
	// in the XEP-0474 hash or in the choice of XEP-0440 types.
	Inline []string
}

// Binding returns the data of the channel binding of type t, if this
// connection supports it.
func (c *Conn) Binding(t string) ([]byte, bool) {
	for _, b := range c.Bindings {
		if b.Type == t {
			return b.Data, true
		}
	}
	return nil, false
}

// Offered reports whether the mechanism was offered on this stream, in
// <authentication> or inside an inline feature. Names are compared
// exactly: RFC 4422 names are upper case.
func (c *Conn) Offered(mechanism string) bool {
	return slices.Contains(c.Advertised, mechanism) ||
		slices.Contains(c.Inline, mechanism)
}

// Bindings returns the channel bindings a TLS connection supports, strongest
// first. cs must come from a completed handshake of a crypto/tls connection. The server passes its own leaf certificate as cert; the client
// passes nil and the server's certificate is taken from the peer
// certificates.
//
//   - tls-exporter (RFC 9266): TLS 1.3, or TLS 1.2 with the extended master
//     secret; 32 bytes of keying material with an empty, present context.
//   - tls-unique (RFC 5929 §3): TLS 1.2 only.
//   - tls-server-end-point (RFC 5929 §4): a hash of the leaf certificate,
//     SHA-256 for MD5 and SHA-1 signatures; left out for signature
//     algorithms that name no single hash (Ed25519, RSA-PSS), where the RFC
//     defines nothing.
func Bindings(cs *tls.ConnectionState, cert *x509.Certificate) []ChannelBinding {
	if cs == nil || !cs.HandshakeComplete {
		return nil
	}
	var out []ChannelBinding
	if cs.Version >= tls.VersionTLS12 {
		// Go refuses the exporter on TLS 1.2 without the extended master
		// secret, which is exactly when RFC 9266 forbids it.
		if ekm, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32); err == nil {
			out = append(out, ChannelBinding{Type: TLSExporter, Data: ekm})
		}
	}
	if cs.Version < tls.VersionTLS13 && len(cs.TLSUnique) > 0 {
		out = append(out, ChannelBinding{Type: TLSUnique, Data: cs.TLSUnique})
	}
	if cert == nil && len(cs.PeerCertificates) > 0 {
		cert = cs.PeerCertificates[0]
	}
	if h, ok := EndPointHash(cert); ok {
		d := h.New()
		d.Write(cert.Raw)
		out = append(out, ChannelBinding{Type: TLSServerEndPoint, Data: d.Sum(nil)})
	}
	return out
}

// EndPointHash returns the hash that tls-server-end-point uses for cert
// (RFC 5929 §4.1), and false when the RFC defines none.
func EndPointHash(cert *x509.Certificate) (crypto.Hash, bool) {
	if cert == nil {
		return 0, false
	}
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		return crypto.SHA256, true
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384:
		return crypto.SHA384, true
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// ClientID returns the user-agent id in canonical lower case, and false
// when it is absent or not in the 8-4-4-4-12 hexadecimal form that the
// XEP-0388 schema admits. Braces, "urn:uuid:" prefixes and undivided hex
// are refused: such an id is treated as absent.
func (ua *UserAgent) ClientID() (string, bool) {
	if ua == nil || len(ua.ID) != 36 {
		return "", false
	}
	b := []byte(ua.ID)
	for i, c := range b {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			b[i] = c + 'a' - 'A'
		default:
			return "", false
		}
	}
	return string(b), true
}
