package vault_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/vault"
)

// minioBinary finds the MinIO server, installing the pinned version from
// the Go module proxy into GOPATH/bin if it is missing (a few minutes,
// once).
func minioBinary(t *testing.T) string {
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env GOPATH: %v", err)
	}
	bin := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "minio")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	version, err := os.ReadFile("testdata/minio-version")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("installing the MinIO server %s for the S3 tests", strings.TrimSpace(string(version)))
	install := exec.Command("go", "install", "-trimpath", "github.com/minio/minio@"+strings.TrimSpace(string(version)))
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("installing MinIO: %v\n%s", err, out)
	}
	return bin
}

// startMinIO runs a MinIO server on a free loopback port for the test.
func startMinIO(t *testing.T) vault.S3Config {
	bin := minioBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := vault.S3Config{Endpoint: "http://" + addr, Bucket: "evidence", AccessKey: "jurichain-test", SecretKey: "jurichain-test-secret"}
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, t.TempDir())
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+cfg.AccessKey, "MINIO_ROOT_PASSWORD="+cfg.SecretKey, "MINIO_BROWSER=off")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Ready, not live: a live server may still refuse requests
		// ("Server not initialized yet").
		resp, err := http.Get(cfg.Endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cfg
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO did not start: %v\n%s", err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestS3Backend runs the vault against a real MinIO server: originals
// larger than one upload part round-trip, and a failed upload leaves
// neither an object nor an unfinished multipart upload.
func TestS3Backend(t *testing.T) {
	ctx := context.Background()
	cfg := startMinIO(t)
	s3, err := vault.NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(suite.International(), randomBytes(t, vault.KeySize), s3)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1000, 40 << 20} {
		content := randomBytes(t, size)
		if _, err := v.Put(ctx, digest(content), bytes.NewReader(content)); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		got, err := readAll(ctx, v, digest(content))
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("size %d: read back %d bytes, %v", size, len(got), err)
		}
	}

	content := randomBytes(t, 40<<20)
	for _, tc := range []struct {
		name   string
		digest []byte
		r      io.Reader
	}{
		{"declared digest of other content", digest([]byte("other")), bytes.NewReader(content)},
		{"upload broken off after two parts", digest(content), &failingReader{n: 35 << 20}},
	} {
		if _, err := v.Put(ctx, tc.digest, tc.r); err == nil {
			t.Fatalf("%s: stored", tc.name)
		}
		if ok, err := v.Has(ctx, tc.digest); ok || err != nil {
			t.Fatalf("%s: Has = %v, %v", tc.name, ok, err)
		}
	}
	if _, err := v.Get(ctx, digest([]byte("never stored"))); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("missing original: %v", err)
	}

	// What the bucket holds: the three originals, and nothing unfinished.
	client, err := minio.New(strings.TrimPrefix(cfg.Endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	var objects []string
	for o := range client.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		objects = append(objects, fmt.Sprint(o.Key, " ", o.Size))
	}
	if len(objects) != 3 {
		t.Fatalf("bucket holds %d objects, want 3: %v", len(objects), objects)
	}
	for u := range client.ListIncompleteUploads(ctx, cfg.Bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		t.Errorf("an unfinished multipart upload is left: %s", u.Key)
	}
}
