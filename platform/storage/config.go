package storage

import (
	"context"
	"fmt"

	"github.com/storefront/storefront/platform/config"
)

// Config selects and configures the adapter (API.md, "Product images in object storage").
type Config struct {
	// S3 is used when its bucket is set (STOREFRONT_S3_BUCKET, _ENDPOINT, _REGION,
	// _PATH_STYLE, _PREFIX).
	S3 S3Config
	// Dir is the local directory otherwise (STOREFRONT_MEDIA_DIR, default .data/media).
	Dir string
}

// ConfigFromEnv reads the storage configuration; bad values are reported through env.Err.
func ConfigFromEnv(env *config.Env) Config {
	return Config{
		S3: S3Config{
			Bucket:    env.String("STOREFRONT_S3_BUCKET", ""),
			Region:    env.String("STOREFRONT_S3_REGION", "us-east-1"),
			Endpoint:  env.URL("STOREFRONT_S3_ENDPOINT", "", "http", "https"),
			PathStyle: env.Bool("STOREFRONT_S3_PATH_STYLE", false),
			Prefix:    env.String("STOREFRONT_S3_PREFIX", ""),
		},
		Dir: env.String("STOREFRONT_MEDIA_DIR", ".data/media"),
	}
}

// Open returns the configured adapter and a function that releases it.
func Open(ctx context.Context, cfg Config) (Store, func() error, error) {
	if cfg.S3.Bucket != "" {
		s, err := NewS3(ctx, cfg.S3)
		if err != nil {
			return nil, nil, err
		}
		return s, func() error { return nil }, nil
	}
	d, err := OpenDir(cfg.Dir)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: %w", err)
	}
	return d, d.Close, nil
}

// Describe says where objects go, for start-up logs.
func (c Config) Describe() string {
	if c.S3.Bucket != "" {
		where := "AWS"
		if c.S3.Endpoint != "" {
			where = c.S3.Endpoint
		}
		return fmt.Sprintf("s3://%s/%s (%s)", c.S3.Bucket, c.S3.Prefix, where)
	}
	return "directory " + c.Dir
}
