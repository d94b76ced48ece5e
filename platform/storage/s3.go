package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3Config says where the bucket is. Credentials come from the standard AWS chain
// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an IAM role, ...).
type S3Config struct {
	Bucket string
	// Region, e.g. "eu-central-1"; S3-compatible stores often accept any ("us-east-1").
	Region string
	// Endpoint overrides AWS's (MinIO, R2, a test server); empty uses AWS S3.
	Endpoint string
	// PathStyle addresses the bucket in the path (http://host/bucket/key) rather than the
	// host name, as most S3-compatible stores need.
	PathStyle bool
	// Prefix is prepended to every key ("media/"), so one bucket can serve several uses.
	Prefix string
}

// S3 stores objects in an S3 bucket.
type S3 struct {
	client *s3.Client
	cfg    S3Config
}

// NewS3 returns the adapter for cfg with credentials from the default chain; optFns adjust
// the AWS configuration (tests pass static credentials).
func NewS3(ctx context.Context, cfg S3Config, optFns ...func(*awsconfig.LoadOptions) error) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("storage: S3 bucket is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	opts := append([]func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}, optFns...)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("storage: AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
	})
	return &S3{client: client, cfg: cfg}, nil
}

// Put uploads the object in one request (objects here are at most a few MiB).
func (s *S3) Put(ctx context.Context, key, contentType string, data []byte) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.cfg.Prefix + key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		ContentType: aws.String(contentType),
	})
	if err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	return nil
}

// Get opens the object's body as a stream.
func (s *S3) Get(ctx context.Context, key string) (*Object, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.cfg.Prefix + key)})
	if isNotFound(err) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get %s: %w", key, err)
	}
	o := &Object{Body: out.Body, ContentType: aws.ToString(out.ContentType), Size: aws.ToInt64(out.ContentLength)}
	if out.LastModified != nil {
		o.ModTime = *out.LastModified
	}
	if o.ContentType == "" {
		o.ContentType = ContentTypeOf(key)
	}
	return o, nil
}

// Exists asks for the object's head.
func (s *S3) Exists(ctx context.Context, key string) (bool, error) {
	if err := ValidKey(key); err != nil {
		return false, err
	}
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.cfg.Prefix + key)})
	switch {
	case isNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("storage: head %s: %w", key, err)
	}
	return true, nil
}

// isNotFound recognises a missing object: NoSuchKey from GetObject, a bare 404 from
// HeadObject (which has no body to name the error).
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound") {
		return true
	}
	var resp interface{ HTTPStatusCode() int }
	return errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusNotFound
}
