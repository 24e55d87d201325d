package scram

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// newCert makes a fresh self-signed certificate for example.org.
func newCert(t *testing.T, key crypto.Signer, alg x509.SignatureAlgorithm) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(1),
		Subject:            pkix.Name{CommonName: "example.org"},
		DNSNames:           []string{"example.org"},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(time.Hour),
		SignatureAlgorithm: alg,
		KeyUsage:           x509.KeyUsageDigitalSignature,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

func ecdsaCert(t *testing.T) (tls.Certificate, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newCert(t, key, x509.ECDSAWithSHA256)
}

// tlsPair completes a TLS handshake of the given version over net.Pipe.
func tlsPair(t *testing.T, version uint16, cert tls.Certificate, leaf *x509.Certificate) (srv, cli *tls.Conn) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	a, b := net.Pipe()
	srv = tls.Server(a, &tls.Config{
		Certificates: []tls.Certificate{cert}, MinVersion: version,
		MaxVersion: version, SessionTicketsDisabled: true,
	})
	cli = tls.Client(b, &tls.Config{
		RootCAs: roots, ServerName: "example.org",
		MinVersion: version, MaxVersion: version,
	})
	errs := make(chan error, 1)
	go func() { errs <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	// A stuck exchange fails the test instead of hanging it.
	deadline := time.Now().Add(20 * time.Second)
	a.SetDeadline(deadline)
	b.SetDeadline(deadline)
	return srv, cli
}

// wire carries sasl2 elements as XML over one end of a stream.
type wire struct {
	enc *xml.Encoder
	dec *xml.Decoder
}

func newWire(c net.Conn) *wire {
	return &wire{xml.NewEncoder(c), xml.NewDecoder(c)}
}

func (w *wire) send(v any) error { return w.enc.Encode(v) }

// recv decodes the next top-level element.
func (w *wire) recv() (any, error) {
	for {
		tok, err := w.dec.Token()
		if err != nil {
			return nil, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			return sasl2.Decode(w.dec, start)
		}
	}
}

// features sends the two features inside one <features/> wrapper, so the
// client knows where they end.
func (w *wire) sendFeatures(a *sasl2.Authentication, cb *sasl2.ChannelBindingFeature) error {
	start := xml.StartElement{Name: xml.Name{Local: "features"}}
	if err := w.enc.EncodeToken(start); err != nil {
		return err
	}
	if err := w.enc.Encode(a); err != nil {
		return err
	}
	if cb != nil {
		if err := w.enc.Encode(cb); err != nil {
			return err
		}
	}
	if err := w.enc.EncodeToken(start.End()); err != nil {
		return err
	}
	return w.enc.Flush()
}

func (w *wire) recvFeatures() (a *sasl2.Authentication, cb *sasl2.ChannelBindingFeature, err error) {
	for {
		tok, err := w.dec.Token()
		if err != nil {
			return nil, nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local == "features" {
				continue
			}
			el, err := sasl2.Decode(w.dec, tok)
			if err != nil {
				return nil, nil, err
			}
			switch el := el.(type) {
			case *sasl2.Authentication:
				a = el
			case *sasl2.ChannelBindingFeature:
				cb = el
			}
		case xml.EndElement:
			return a, cb, nil
		}
	}
}

// serve runs the server end of one authentication and returns its last
// element.
func serve(ctx context.Context, w *wire, srv *sasl2.Server) (any, error) {
	feat, cb := srv.Features()
	if feat == nil {
		return nil, fmt.Errorf("no mechanism offered")
	}
	if err := w.sendFeatures(feat, cb); err != nil {
		return nil, err
	}
	for {
		el, err := w.recv()
		if err != nil {
			return nil, err
		}
		out, err := srv.Receive(ctx, el)
		if err != nil {
			return nil, err
		}
		if err := w.send(out); err != nil {
			return nil, err
		}
		switch out.(type) {
		case *sasl2.Success, *sasl2.Failure:
			return out, nil
		}
	}
}

// authenticate runs the client end. It returns the <authenticate> sent.
func authenticate(ctx context.Context, w *wire, cli *sasl2.Client) (*sasl2.Authenticate, error) {
	feat, cb, err := w.recvFeatures()
	if err != nil {
		return nil, err
	}
	a, err := cli.Start(ctx, feat, cb)
	if err != nil {
		return nil, err
	}
	if err := w.send(a); err != nil {
		return nil, err
	}
	for {
		el, err := w.recv()
		if err != nil {
			return a, err
		}
		out, err := cli.Receive(ctx, el)
		if out != nil {
			if err := w.send(out); err != nil {
				return a, err
			}
		}
		if _, ok := out.(*sasl2.Abort); ok {
			// The server answers an abort with a failure.
			w.recv()
		}
		if err != nil || cli.Done() {
			return a, err
		}
	}
}

// loopback logs in over a real TLS connection of the given version. The
// server offers mechanism with bindings of type only ("" for all it has);
// the client offers every SCRAM mechanism and has every binding.
func loopback(t *testing.T, version uint16, cert tls.Certificate, leaf *x509.Certificate,
	mechanism, only string, tamper func(*sasl2.Conn)) (*sasl2.Authenticate, any, error) {
	t.Helper()
	sc, cc := tlsPair(t, version, cert, leaf)
	scs, ccs := sc.ConnectionState(), cc.ConnectionState()

	sconn := &sasl2.Conn{Domain: "example.org", From: "user@example.org", TLS: &scs}
	for _, b := range sasl2.Bindings(&scs, leaf) {
		if only == "" || b.Type == only {
			sconn.Bindings = append(sconn.Bindings, b)
		}
	}
	cconn := &sasl2.Conn{TLS: &ccs, Bindings: sasl2.Bindings(&ccs, nil)}
	if tamper != nil {
		tamper(cconn)
	}

	store := &MemoryStore{}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512} {
		c, err := NewCredentials(h, "pencil", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		store.Set("user", h, c)
	}
	m, err := Mechanism(mechanism, &ServerConfig{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	srv := sasl2.NewServer(&sasl2.Config{Mechanisms: []sasl2.Mechanism{m}}, sconn)
	cli := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: ClientMechanisms("user", "pencil", nil),
	}, cconn)

	ctx := context.Background()
	type result struct {
		last any
		err  error
	}
	done := make(chan result, 1)
	go func() {
		last, err := serve(ctx, newWire(sc), srv)
		done <- result{last, err}
	}()
	a, cerr := authenticate(ctx, newWire(cc), cli)
	if cerr != nil {
		// The server may still wait for <authenticate>: cut the stream.
		cc.NetConn().Close()
	}
	r := <-done
	if r.err != nil && cerr == nil {
		t.Fatalf("server: %v", r.err)
	}
	if cerr == nil && (!srv.Done() || !cli.Done()) {
		t.Fatalf("not done: server %v, client %v", srv.Done(), cli.Done())
	}
	return a, r.last, cerr
}

// TestTLSLoopback is the integration proof: client against server through
// the sasl2 core over real TLS 1.3 and TLS 1.2 (with the extended master
// secret), for every mechanism and every binding type the version has.
func TestTLSLoopback(t *testing.T) {
	cert, leaf := ecdsaCert(t)
	versions := []struct {
		name    string
		version uint16
		types   []string
	}{
		{"TLS 1.3", tls.VersionTLS13,
			[]string{sasl2.TLSExporter, sasl2.TLSServerEndPoint}},
		{"TLS 1.2 with EMS", tls.VersionTLS12,
			[]string{sasl2.TLSExporter, sasl2.TLSUnique, sasl2.TLSServerEndPoint}},
	}
	for _, v := range versions {
		for _, va := range variants {
			types := []string{""}
			if va.plus {
				types = v.types
			}
			for _, typ := range types {
				name := fmt.Sprintf("%s: %s logs in", v.name, va.name)
				if typ != "" {
					name += " over " + typ
				}
				t.Run(name, func(t *testing.T) {
					a, last, err := loopback(t, v.version, cert, leaf, va.name, typ, nil)
					if err != nil {
						t.Fatalf("client: %v", err)
					}
					if s, ok := last.(*sasl2.Success); !ok ||
						s.AuthorizationIdentifier != "user@example.org" {
						t.Fatalf("server sent %#v", last)
					}
					head := "y,,"
					if typ != "" {
						head = "p=" + typ + ",,"
					}
					if !strings.HasPrefix(string(a.InitialResponse), head) {
						t.Errorf("client-first %q, want %s…", a.InitialResponse, head)
					}
				})
			}
		}
	}
}

// TestTLSBindingMismatch checks that binding data of another connection
// fails the proof: a client whose view of the channel differs, as behind
// an attacker who terminates TLS, gets not-authorized.
func TestTLSBindingMismatch(t *testing.T) {
	cert, leaf := ecdsaCert(t)
	for _, typ := range []string{sasl2.TLSExporter, sasl2.TLSUnique, sasl2.TLSServerEndPoint} {
		t.Run("a client seeing other "+typ+" data is refused", func(t *testing.T) {
			_, last, err := loopback(t, tls.VersionTLS12, cert, leaf,
				"SCRAM-SHA-256-PLUS", typ, func(c *sasl2.Conn) {
					for i := range c.Bindings {
						d := append([]byte{}, c.Bindings[i].Data...)
						d[0] ^= 1
						c.Bindings[i].Data = d
					}
				})
			if err == nil || failureOf(last) != sasl2.NotAuthorized {
				t.Fatalf("got %#v, %v", last, err)
			}
		})
	}
}

// TestTLSBindingData runs BC-15 items 1 to 3 on real connections: the data
// each end computes, and what it means for the -PLUS mechanisms.
func TestTLSBindingData(t *testing.T) {
	t.Run("BC-15 1: on TLS 1.2 the exporter uses an empty, present context",
		func(t *testing.T) {
			cert, leaf := ecdsaCert(t)
			sc, cc := tlsPair(t, tls.VersionTLS12, cert, leaf)
			scs, ccs := sc.ConnectionState(), cc.ConnectionState()
			sb, _ := (&sasl2.Conn{Bindings: sasl2.Bindings(&scs, leaf)}).Binding(sasl2.TLSExporter)
			cb, _ := (&sasl2.Conn{Bindings: sasl2.Bindings(&ccs, nil)}).Binding(sasl2.TLSExporter)
			empty, err := ccs.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32)
			if err != nil {
				t.Fatal(err)
			}
			none, _ := ccs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
			switch {
			case len(sb) != 32 || string(sb) != string(cb):
				t.Fatal("the ends disagree on tls-exporter")
			case string(cb) != string(empty):
				t.Fatal("tls-exporter is not the empty-context EKM")
			case string(empty) == string(none):
				t.Fatal("this test cannot tell the two contexts apart")
			}
		})

	certs := []struct {
		name string
		make func(t *testing.T) (tls.Certificate, *x509.Certificate)
		size int // of tls-server-end-point, 0 for none
	}{
		{"RSA with SHA-256", func(t *testing.T) (tls.Certificate, *x509.Certificate) {
			k, _ := rsa.GenerateKey(rand.Reader, 2048)
			return newCert(t, k, x509.SHA256WithRSA)
		}, 32},
		{"ECDSA with SHA-384", func(t *testing.T) (tls.Certificate, *x509.Certificate) {
			k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			return newCert(t, k, x509.ECDSAWithSHA384)
		}, 48},
		{"Ed25519", func(t *testing.T) (tls.Certificate, *x509.Certificate) {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			return newCert(t, k, x509.PureEd25519)
		}, 0},
	}
	for _, c := range certs {
		t.Run("BC-15 2: a certificate signed with "+c.name, func(t *testing.T) {
			cert, leaf := c.make(t)
			typ := sasl2.TLSServerEndPoint
			if c.size == 0 {
				typ = sasl2.TLSExporter
			}
			a, last, err := loopback(t, tls.VersionTLS13, cert, leaf,
				"SCRAM-SHA-256-PLUS", "", nil)
			if err != nil {
				t.Fatalf("%v, %#v", err, last)
			}
			sc, _ := tlsPair(t, tls.VersionTLS13, cert, leaf)
			scs := sc.ConnectionState()
			d, ok := (&sasl2.Conn{Bindings: sasl2.Bindings(&scs, leaf)}).
				Binding(sasl2.TLSServerEndPoint)
			if len(d) != c.size || ok != (c.size > 0) {
				t.Fatalf("tls-server-end-point of %d bytes, want %d", len(d), c.size)
			}
			if c.size > 0 {
				// Offer end-point alone and bind with it.
				a, _, err = loopback(t, tls.VersionTLS13, cert, leaf,
					"SCRAM-SHA-256-PLUS", typ, nil)
				if err != nil {
					t.Fatal(err)
				}
			}
			if !strings.HasPrefix(string(a.InitialResponse), "p="+typ+",") {
				t.Errorf("client-first %q", a.InitialResponse)
			}
		})
	}

	t.Run("BC-15 3: TLS 1.3 has no tls-unique, so -PLUS is not offered on it",
		func(t *testing.T) {
			cert, leaf := ecdsaCert(t)
			sc, _ := tlsPair(t, tls.VersionTLS13, cert, leaf)
			scs := sc.ConnectionState()
			conn := &sasl2.Conn{TLS: &scs, Bindings: sasl2.Bindings(&scs, leaf)}
			if _, ok := conn.Binding(sasl2.TLSUnique); ok {
				t.Fatal("tls-unique computed on TLS 1.3")
			}
			m, _ := Mechanism("SCRAM-SHA-256-PLUS", nil)
			if m.Available(&sasl2.Conn{TLS: &scs}) {
				t.Error("-PLUS available with no binding")
			}
		})
}
