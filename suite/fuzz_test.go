package suite

import "testing"

// FuzzParsePrivateKey checks that reading a key file never panics.
func FuzzParsePrivateKey(f *testing.F) {
	k, _ := International().Signature().GenerateKey(zeroReader{})
	pemKey, _ := k.MarshalPEM()
	f.Add(pemKey)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := International().Signature().ParsePrivateKey(b)
		if err != nil {
			return
		}
		if len(k.Public()) != 32 {
			t.Fatal("accepted a key with a malformed public key")
		}
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
