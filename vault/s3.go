package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config locates a bucket of an S3-compatible object store.
type S3Config struct {
	// Endpoint is the store's URL, http://host:port or https://host:port.
	Endpoint  string
	Bucket    string
	AccessKey string
	SecretKey string
	// Region is optional for most S3-compatible stores.
	Region string
}

// S3 is a Backend in a bucket of an S3-compatible store (MinIO, Ceph,
// cloud object storage). Objects are uploaded in 16 MiB parts, so memory
// use stays flat whatever the original's size; an upload whose reader
// fails is aborted and leaves no object.
type S3 struct {
	client *minio.Client
	bucket string
}

// partSize bounds the memory an upload holds.
const partSize = 16 << 20

// initWait is how long NewS3 waits for a store that is still starting.
const initWait = 30 * time.Second

// NewS3 connects to the store and creates the bucket if it is missing.
func NewS3(ctx context.Context, c S3Config) (*S3, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("S3 endpoint %q: want http://host:port or https://host:port", c.Endpoint)
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: u.Scheme == "https",
		Region: c.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client: %w", err)
	}
	ok, err := client.BucketExists(ctx, c.Bucket)
	// A store that has just started answers "not initialized yet, please
	// try again" for a while, readiness probe or not.
	for deadline := time.Now().Add(initWait); err != nil && minio.ToErrorResponse(err).Code == "XMinioServerNotInitialized" && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		ok, err = client.BucketExists(ctx, c.Bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("S3 bucket %s at %s: %w", c.Bucket, c.Endpoint, err)
	}
	if !ok {
		if err := client.MakeBucket(ctx, c.Bucket, minio.MakeBucketOptions{Region: c.Region}); err != nil {
			return nil, fmt.Errorf("creating S3 bucket %s: %w", c.Bucket, err)
		}
	}
	return &S3{client: client, bucket: c.Bucket}, nil
}

// Put uploads the object.
func (s *S3) Put(ctx context.Context, name string, r io.Reader) error {
	_, err := s.client.PutObject(ctx, s.bucket, name, r, -1, minio.PutObjectOptions{
		PartSize:    partSize,
		ContentType: "application/octet-stream",
	})
	return err
}

// Get opens the object for reading.
func (s *S3) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if ok, err := s.Exists(ctx, name); err != nil || !ok {
		if err == nil {
			err = ErrNotFound
		}
		return nil, err
	}
	return s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
}

// Exists reports whether the object is stored.
func (s *S3) Exists(ctx context.Context, name string) (bool, error) {
	_, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code == minio.NoSuchKey {
		return false, nil
	}
	return err == nil, err
}

// Delete removes the object; a missing object is not an error.
func (s *S3) Delete(ctx context.Context, name string) error {
	return s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
}
